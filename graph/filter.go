package graph

import (
	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
)

// Filter inputs are generated structs (graph/model, gqlgen.yml), coerced
// by gqlgen's generated argument unmarshalling on every read path (its
// executor, the compiled path, priming): an Int out of range, a date that
// does not parse or an unknown enum value is refused there, with the path
// of the input field. What is left here is turning them into the storage
// filters, once per list, and the bound on list filters.

// MaxFilterValues bounds the values of one list filter (idIn, nameLike...):
// a page's worth. Each value is a condition of the statement, and SQLite
// bounds how deep an expression may nest.
const MaxFilterValues = storage.MaxLimit

// limits keeps the first list filter with too many values.
type limits struct{ err error }

// atMost returns vs, or records a refusal naming filter.name when it holds
// more than MaxFilterValues values.
func atMost[T any](l *limits, name string, vs []T) []T {
	if len(vs) <= MaxFilterValues {
		return vs
	}
	if l.err == nil {
		l.err = storage.FieldErrorf(storage.EINVALID, "filter."+name, "At most %d values; %d given.", MaxFilterValues, len(vs))
	}
	return nil
}

// dates reads the exact, `Min` and `Max` fields of one V3 date filter
// (dateCreated, dateCreatedMin, dateCreatedMax) as one range.
func dates(exact, min, max *storage.FilterDate) storage.TimeRange {
	return storage.NewTimeRange(exact, min, max)
}

// customerFilter turns a CustomerFilter (V3 `GET /customers` parameters)
// into the storage filter.
func customerFilter(m *model.CustomerFilter) (storage.CustomerFilter, error) {
	if m == nil {
		return storage.CustomerFilter{}, nil
	}
	var l limits
	f := storage.CustomerFilter{
		IDIn:                    atMost(&l, "idIn", m.IDIn),
		CompanyIn:               atMost(&l, "companyIn", m.CompanyIn),
		CustomerGroupIDIn:       atMost(&l, "customerGroupIdIn", m.CustomerGroupIDIn),
		DateCreated:             dates(m.DateCreated, m.DateCreatedMin, m.DateCreatedMax),
		DateModified:            dates(m.DateModified, m.DateModifiedMin, m.DateModifiedMax),
		EmailIn:                 atMost(&l, "emailIn", m.EmailIn),
		NameIn:                  atMost(&l, "nameIn", m.NameIn),
		NameLike:                atMost(&l, "nameLike", m.NameLike),
		PhoneIn:                 atMost(&l, "phoneIn", m.PhoneIn),
		RegistrationIPAddressIn: atMost(&l, "registrationIpAddressIn", m.RegistrationIPAddressIn),
	}
	return f, l.err
}

// addressFilter turns a CustomerAddressFilter into the storage filter.
func addressFilter(m *model.CustomerAddressFilter) (storage.CustomerAddressFilter, error) {
	if m == nil {
		return storage.CustomerAddressFilter{}, nil
	}
	var l limits
	f := storage.CustomerAddressFilter{
		IDIn:         atMost(&l, "idIn", m.IDIn),
		CustomerIDIn: atMost(&l, "customerIdIn", m.CustomerIDIn),
		CompanyIn:    atMost(&l, "companyIn", m.CompanyIn),
		NameIn:       atMost(&l, "nameIn", m.NameIn),
	}
	return f, l.err
}

// attributeFilter turns a CustomerAttributeFilter into the storage filter.
func attributeFilter(m *model.CustomerAttributeFilter) (storage.CustomerAttributeFilter, error) {
	if m == nil {
		return storage.CustomerAttributeFilter{}, nil
	}
	var l limits
	f := storage.CustomerAttributeFilter{
		IDIn:         atMost(&l, "idIn", m.IDIn),
		Name:         m.Name,
		NameLike:     m.NameLike,
		Type:         m.Type,
		DateCreated:  dates(m.DateCreated, m.DateCreatedMin, m.DateCreatedMax),
		DateModified: dates(m.DateModified, m.DateModifiedMin, m.DateModifiedMax),
	}
	return f, l.err
}

// attributeValueFilter turns a CustomerAttributeValueFilter into the
// storage filter.
func attributeValueFilter(m *model.CustomerAttributeValueFilter) (storage.CustomerAttributeValueFilter, error) {
	if m == nil {
		return storage.CustomerAttributeValueFilter{}, nil
	}
	var l limits
	f := storage.CustomerAttributeValueFilter{
		IDIn:          atMost(&l, "idIn", m.IDIn),
		CustomerIDIn:  atMost(&l, "customerIdIn", m.CustomerIDIn),
		AttributeIDIn: atMost(&l, "attributeIdIn", m.AttributeIDIn),
		Name:          m.Name,
		DateCreated:   dates(m.DateCreated, m.DateCreatedMin, m.DateCreatedMax),
		DateModified:  dates(m.DateModified, m.DateModifiedMin, m.DateModifiedMax),
	}
	return f, l.err
}

// formFieldFilter turns a CustomerFormFieldFilter into the storage filter.
func formFieldFilter(m *model.CustomerFormFieldFilter) (storage.CustomerFormFieldFilter, error) {
	if m == nil {
		return storage.CustomerFormFieldFilter{}, nil
	}
	var l limits
	f := storage.CustomerFormFieldFilter{IDIn: atMost(&l, "idIn", m.IDIn), Name: m.Name, Type: m.Type, AppliesTo: m.AppliesTo}
	return f, l.err
}

// formFieldValueFilter turns a CustomerFormFieldValueFilter into the
// storage filter.
func formFieldValueFilter(m *model.CustomerFormFieldValueFilter) (storage.CustomerFormFieldValueFilter, error) {
	if m == nil {
		return storage.CustomerFormFieldValueFilter{}, nil
	}
	return storage.CustomerFormFieldValueFilter{CustomerID: m.CustomerID, AddressID: m.AddressID, FieldName: m.FieldName,
		FieldType: m.FieldType}, nil
}

// groupFilter turns a CustomerGroupFilter into the storage filter.
func groupFilter(m *model.CustomerGroupFilter) (storage.CustomerGroupFilter, error) {
	if m == nil {
		return storage.CustomerGroupFilter{}, nil
	}
	var l limits
	f := storage.CustomerGroupFilter{IDIn: atMost(&l, "idIn", m.IDIn), Name: m.Name, NameLike: m.NameLike, IsDefault: m.IsDefault,
		IsGroupForGuests: m.IsGroupForGuests}
	return f, l.err
}

// subscriberFilter turns a SubscriberFilter into the storage filter.
func subscriberFilter(m *model.SubscriberFilter) (storage.SubscriberFilter, error) {
	if m == nil {
		return storage.SubscriberFilter{}, nil
	}
	var l limits
	f := storage.SubscriberFilter{
		ID:           m.ID,
		IDIn:         atMost(&l, "idIn", m.IDIn),
		Email:        m.Email,
		FirstName:    m.FirstName,
		LastName:     m.LastName,
		Source:       m.Source,
		OrderID:      m.OrderID,
		DateCreated:  dates(m.DateCreated, m.DateCreatedMin, m.DateCreatedMax),
		DateModified: dates(m.DateModified, m.DateModifiedMin, m.DateModifiedMax),
	}
	return f, l.err
}

// webhookFilter turns a WebhookFilter into the storage filter.
func webhookFilter(m *model.WebhookFilter) (storage.WebhookFilter, error) {
	if m == nil {
		return storage.WebhookFilter{}, nil
	}
	var l limits
	f := storage.WebhookFilter{IDIn: atMost(&l, "idIn", m.IDIn), Scope: m.Scope, IsActive: m.IsActive}
	return f, l.err
}

// deliveryFilter turns a WebhookDeliveryFilter into the storage filter.
func deliveryFilter(m *model.WebhookDeliveryFilter) (storage.WebhookDeliveryFilter, error) {
	if m == nil {
		return storage.WebhookDeliveryFilter{}, nil
	}
	var l limits
	f := storage.WebhookDeliveryFilter{IDIn: atMost(&l, "idIn", m.IDIn), WebhookIDIn: atMost(&l, "webhookIdIn", m.WebhookIDIn),
		EventIDIn: atMost(&l, "eventIdIn", m.EventIDIn), Status: m.Status}
	return f, l.err
}
