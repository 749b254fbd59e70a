package graph

import (
	"context"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// resolverStore is what the resolvers of schema.resolvers.go and shopper.go
// read and write.
type resolverStore interface {
	eventStore  // the subscription resolvers of events.go
	mirrorStore // facade mode's writes
	CheckCredentials(ctx context.Context, email, password string, channelID int) (*storage.CredentialCheck, error)
	CheckPasswordOf(ctx context.Context, customerID int, password string) (bool, error)
	CreateAddresses(ctx context.Context, in []storage.AddressInput) ([]*storage.CustomerAddress, error)
	CreateAttributes(ctx context.Context, in []storage.AttributeInput) ([]*storage.CustomerAttribute, error)
	CreateCustomers(ctx context.Context, in []storage.CustomerInput) ([]*storage.Customer, error)
	CreateFormFields(ctx context.Context, in []storage.FormFieldInput) ([]*storage.CustomerFormField, error)
	CreateGroup(ctx context.Context, in storage.GroupInput) (*storage.CustomerGroup, error)
	CreateMetafields(ctx context.Context, v storage.MetafieldViewer, in []storage.MetafieldInput) ([]*storage.CustomerMetafield, error)
	CreateSubscriber(ctx context.Context, in storage.SubscriberInput) (*storage.Subscriber, error)
	CreateWebhook(ctx context.Context, in storage.WebhookInput) (*storage.Webhook, string, error)
	DeleteAddresses(ctx context.Context, ids []int) ([]int, error)
	DeleteAttributeValues(ctx context.Context, ids []int) ([]int, error)
	DeleteAttributes(ctx context.Context, ids []int) ([]int, error)
	DeleteCustomers(ctx context.Context, ids []int) ([]int, error)
	DeleteFormFields(ctx context.Context, ids []int) ([]int, error)
	DeleteGroups(ctx context.Context, ids []int) ([]int, error)
	DeleteMetafields(ctx context.Context, v storage.MetafieldViewer, ids []int) ([]int, error)
	DeleteSubscribers(ctx context.Context, f storage.SubscriberFilter, all bool) ([]int, error)
	DeleteWebhooks(ctx context.Context, ids []int) ([]int, error)
	FindAddresses(ctx context.Context, f storage.CustomerAddressFilter, req storage.PageRequest) (*storage.Page[*storage.CustomerAddress], error)
	FindAttributeValues(ctx context.Context, f storage.CustomerAttributeValueFilter, req storage.PageRequest) (*storage.Page[*storage.CustomerAttributeValue], error)
	FindAttributes(ctx context.Context, f storage.CustomerAttributeFilter, req storage.PageRequest) (*storage.Page[*storage.CustomerAttribute], error)
	FindChannelSettings(ctx context.Context, channelID int) (*storage.ChannelCustomerSettings, error)
	FindConsent(ctx context.Context, customerID int) (*storage.CustomerConsent, error)
	FindCustomerByID(ctx context.Context, id int) (*storage.Customer, error)
	FindCustomers(ctx context.Context, f storage.CustomerFilter, s storage.CustomerSort, req storage.PageRequest) (*storage.Page[*storage.Customer], error)
	FindDeliveries(ctx context.Context, f storage.WebhookDeliveryFilter, req storage.PageRequest) (*storage.Page[*storage.WebhookDelivery], error)
	FindFormFieldValues(ctx context.Context, f storage.CustomerFormFieldValueFilter, req storage.PageRequest) (*storage.Page[*storage.CustomerFormFieldValue], error)
	FindFormFields(ctx context.Context, f storage.CustomerFormFieldFilter, req storage.PageRequest) (*storage.Page[*storage.CustomerFormField], error)
	FindGroupByID(ctx context.Context, id int) (*storage.CustomerGroup, error)
	FindGroups(ctx context.Context, f storage.CustomerGroupFilter, req storage.PageRequest) (*storage.Page[*storage.CustomerGroup], error)
	FindMetafields(ctx context.Context, v storage.MetafieldViewer, f storage.MetafieldFilter, desc bool, req storage.PageRequest) (*storage.Page[*storage.CustomerMetafield], error)
	FindSettings(ctx context.Context) (*storage.CustomerSettings, error)
	FindSubscriberByID(ctx context.Context, id int) (*storage.Subscriber, error)
	FindSubscribers(ctx context.Context, f storage.SubscriberFilter, req storage.PageRequest) (*storage.Page[*storage.Subscriber], error)
	FindWebhooks(ctx context.Context, f storage.WebhookFilter, req storage.PageRequest) (*storage.Page[*storage.Webhook], error)
	RetryDelivery(ctx context.Context, id int) (*storage.WebhookDelivery, error)
	RevokeSession(ctx context.Context, id string) error
	UpdateAddresses(ctx context.Context, in []storage.AddressUpdate) ([]*storage.CustomerAddress, error)
	UpdateAttributes(ctx context.Context, in []storage.AttributeUpdate) ([]*storage.CustomerAttribute, error)
	UpdateChannelSettings(ctx context.Context, u storage.ChannelSettingsUpdate) (*storage.ChannelCustomerSettings, error)
	UpdateConsent(ctx context.Context, in storage.ConsentInput) (*storage.CustomerConsent, error)
	UpdateCustomers(ctx context.Context, in []storage.CustomerUpdate) ([]*storage.Customer, error)
	UpdateFormFields(ctx context.Context, in []storage.FormFieldUpdate) ([]*storage.CustomerFormField, error)
	UpdateGroup(ctx context.Context, u storage.GroupUpdate) (*storage.CustomerGroup, error)
	UpdateMetafields(ctx context.Context, v storage.MetafieldViewer, in []storage.MetafieldUpdate) ([]*storage.CustomerMetafield, error)
	UpdateSettings(ctx context.Context, u storage.SettingsUpdate) (*storage.CustomerSettings, error)
	UpdateSubscriber(ctx context.Context, u storage.SubscriberUpdate) (*storage.Subscriber, error)
	UpdateWebhook(ctx context.Context, u storage.WebhookUpdate) (*storage.Webhook, error)
	UpsertAttributeValues(ctx context.Context, in []storage.AttributeValueUpsert) ([]*storage.CustomerAttributeValue, error)
	UpsertFormFieldValues(ctx context.Context, in []storage.FormFieldValueInput) ([]*storage.CustomerFormFieldValue, error)
}

// mirrorStore is what facade mode's writes (facade_write.go,
// facade_more.go) need beyond the resolvers' own: the upstream's answers
// written into the mirror, and the rows read back to answer with.
type mirrorStore interface {
	FindCustomersByIDs(ctx context.Context, ids []int) (map[int]*storage.Customer, error)
	FindAddressesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*storage.CustomerAddress, error)
	MirrorDeleteCustomers(ctx context.Context, ids []int) ([]int, error)
	MirrorDeleteSubscribers(ctx context.Context, ids []int) ([]int, error)
	MirrorConsent(ctx context.Context, customerID int, c wire.Consent) error
}
