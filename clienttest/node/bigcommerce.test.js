// The published BigCommerce client node-bigcommerce, unchanged, against this
// server: customers, addresses and metafields listed, filtered, created,
// changed and deleted through V3, and V2 read, as an app would. The server's
// address, token and store hash come from the environment
// (rest_client_test.go starts the server). node-bigcommerce always dials
// https://api.bigcommerce.com:443; its documented `agent` option takes an
// https.Agent, and this one connects to the local server instead (plain HTTP
// over the socket it hands back).
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const https = require('node:https');
const net = require('node:net');
const BigCommerce = require('node-bigcommerce');

const server = new URL(process.env.CUSTOMERS_URL);

class LocalAgent extends https.Agent {
  createConnection(options, callback) {
    const socket = net.connect(Number(server.port), server.hostname);
    if (callback) socket.once('connect', () => callback(null, socket));
    return socket;
  }
}

const config = {
  clientId: 'test-client',
  accessToken: process.env.CUSTOMERS_TOKEN,
  storeHash: process.env.CUSTOMERS_STORE_HASH,
  responseType: 'json',
  agent: new LocalAgent(),
};
const v3 = new BigCommerce({ ...config, apiVersion: 'v3' });
const v2 = new BigCommerce({ ...config, apiVersion: 'v2' });

test('customers: create, list with filters and includes, update, delete', async () => {
  const created = await v3.post('/customers', [
    {
      email: 'ada@client.example', first_name: 'Ada', last_name: 'Lovelace', company: 'Engines',
      addresses: [{ first_name: 'Ada', last_name: 'Lovelace', address1: '12 St James Sq', city: 'London',
        country_code: 'GB', postal_code: 'SW1Y 4JH' }],
      store_credit_amounts: [{ amount: 10 }],
    },
    { email: 'alan@client.example', first_name: 'Alan', last_name: 'Turing' },
  ]);
  assert.equal(created.data.length, 2);
  const [ada, alan] = created.data;
  assert.equal(ada.addresses[0].country, 'United Kingdom');

  const found = await v3.get('/customers?email:in=ada@client.example&include=addresses,storecredit');
  assert.equal(found.meta.pagination.total, 1);
  assert.equal(found.data[0].id, ada.id);
  assert.equal(found.data[0].store_credit_amounts[0].amount, 10);

  const liked = await v3.get('/customers?name:like=tur&sort=last_name:asc');
  assert.deepEqual(liked.data.map(c => c.id), [alan.id]);

  const updated = await v3.put('/customers', [{ id: alan.id, company: 'Bletchley' }]);
  assert.equal(updated.data[0].company, 'Bletchley');

  await assert.rejects(v3.post('/customers', [{ email: 'ADA@client.example', first_name: 'A', last_name: 'L' }]),
    err => err.code === 422 && /email/.test(err.responseBody));

  await v3.delete(`/customers?id:in=${alan.id}`);
  const left = await v3.get(`/customers?id:in=${ada.id},${alan.id}`);
  assert.deepEqual(left.data.map(c => c.id), [ada.id]);
});

test('addresses: create, filter, update, delete', async () => {
  const { data: [customer] } = await v3.post('/customers', [{ email: 'grace@client.example', first_name: 'Grace', last_name: 'Hopper' }]);
  const created = await v3.post('/customers/addresses', [{
    customer_id: customer.id, first_name: 'Grace', last_name: 'Hopper', address1: '1 Navy Way', city: 'Arlington',
    state_or_province: 'Virginia', postal_code: '22202', country_code: 'US', address_type: 'commercial',
  }]);
  const address = created.data[0];
  assert.equal(address.customer_id, customer.id);

  const listed = await v3.get(`/customers/addresses?customer_id:in=${customer.id}`);
  assert.deepEqual(listed.data.map(a => a.id), [address.id]);

  const changed = await v3.put('/customers/addresses', [{ id: address.id, city: 'Washington', state_or_province: 'District of Columbia' }]);
  assert.equal(changed.data[0].city, 'Washington');

  await v3.delete(`/customers/addresses?id:in=${address.id}`);
  const none = await v3.get(`/customers/addresses?customer_id:in=${customer.id}`);
  assert.equal(none.data.length, 0);
});

test('metafields: create, list, filter, update, delete', async () => {
  const { data: [customer] } = await v3.post('/customers', [{ email: 'edsger@client.example', first_name: 'Edsger', last_name: 'Dijkstra' }]);
  const created = await v3.post(`/customers/${customer.id}/metafields`, {
    namespace: 'crm', key: 'tier', value: 'gold', permission_set: 'read', description: 'Loyalty tier',
  });
  const metafield = created.data[0];
  assert.equal(metafield.resource_id, customer.id);

  const batch = await v3.post('/customers/metafields', [
    { resource_id: customer.id, namespace: 'crm', key: 'since', value: '1972', permission_set: 'write' },
  ]);
  assert.equal(batch.meta.success, 1);

  const listed = await v3.get(`/customers/${customer.id}/metafields?namespace=crm&direction=desc`);
  assert.deepEqual(listed.data.map(m => m.key), ['since', 'tier']);

  const filtered = await v3.get(`/customers/metafields?key:in=tier&resource_id:in=${customer.id}`);
  assert.deepEqual(filtered.data.map(m => m.id), [metafield.id]);

  const changed = await v3.put(`/customers/${customer.id}/metafields/${metafield.id}`, { value: 'platinum' });
  assert.equal(changed.data[0].value, 'platinum');

  const one = await v3.get(`/customers/${customer.id}/metafields/${metafield.id}`);
  assert.equal(one.data.value, 'platinum');

  await v3.delete(`/customers/${customer.id}/metafields/${metafield.id}`);
  const after = await v3.get(`/customers/${customer.id}/metafields`);
  assert.deepEqual(after.data.map(m => m.key), ['since']);
});

test('V2: customers and their count', async () => {
  const before = await v2.get('/customers/count');
  const created = await v2.post('/customers', { first_name: 'Barbara', last_name: 'Liskov', email: 'barbara@client.example' });
  assert.equal(created.email, 'barbara@client.example');
  const after = await v2.get('/customers/count');
  assert.equal(after.count, before.count + 1);
  const fetched = await v2.get(`/customers/${created.id}`);
  assert.equal(fetched.last_name, 'Liskov');
  await v2.delete(`/customers/${created.id}`);
});
