// Renders GraphiQL with the configuration from the "graphiql-config" JSON
// data block. playground.go embeds this file and inlines it into the page;
// the Content-Security-Policy allows it by its hash.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  var headers = config.headers ? JSON.stringify(config.headers, null, 2) : undefined;

  // Request headers may hold tokens, so they are never saved: besides
  // shouldPersistHeaders, this wrapper around localStorage drops them from the
  // history and favorites entries, which GraphiQL 3 saves with headers, and
  // gives the entries the default headers back when they are read.
  function mapEntries(key, value, fn) {
    if (!value || (key !== "graphiql:queries" && key !== "graphiql:favorites")) {
      return value;
    }
    try {
      var data = JSON.parse(value);
      Object.keys(data).forEach(function (list) { data[list].forEach(fn); });
      return JSON.stringify(data);
    } catch (e) {
      return value;
    }
  }
  function keys() {
    return Object.keys(localStorage).filter(function (k) { return k.indexOf("graphiql:") === 0; });
  }
  var storage = {
    getItem: function (k) {
      return mapEntries(k, localStorage.getItem(k), function (e) { e.headers = headers; });
    },
    setItem: function (k, v) {
      localStorage.setItem(k, mapEntries(k, v, function (e) { delete e.headers; }));
    },
    removeItem: function (k) { localStorage.removeItem(k); },
    clear: function () { keys().forEach(function (k) { localStorage.removeItem(k); }); },
    get length() { return keys().length; },
  };

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: config.endpoint }),
      defaultQuery: config.query,
      defaultHeaders: headers,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: headers ? "headers" : undefined,
      storage: storage,
    }),
  );
})();
