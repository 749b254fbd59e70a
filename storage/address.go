package storage

import "context"

// CustomerAddress is one address of a customer (V3 address_Full,
// domain/customers-spec.md §4.2).
type CustomerAddress struct {
	ID              int
	CustomerID      int
	FirstName       string
	LastName        string
	Company         string
	Address1        string
	Address2        string
	City            string
	StateOrProvince string
	PostalCode      string
	CountryCode     string
	Phone           string
	AddressType     CustomerAddressType
}

// Country returns the country's name, derived from the code.
func (a *CustomerAddress) Country() string {
	name, _ := CountryName(a.CountryCode)
	return name
}

// CustomerAddressFilter holds the V3 filters of the address list
// (domain/customers-spec.md §2.2).
type CustomerAddressFilter struct {
	IDIn         []int
	CustomerIDIn []int
	CompanyIn    []string
	NameIn       []string
}

func (f *CustomerAddressFilter) where() where {
	var w where
	in(&w, "a.id", f.IDIn)
	in(&w, "a.customer_id", f.CustomerIDIn)
	in(&w, "a.company", f.CompanyIn)
	in(&w, "a.name_fold", foldAll(f.NameIn))
	return w
}

const addressColumns = `a.id, a.customer_id, a.first_name, a.last_name, a.company, a.address1, a.address2,
	a.city, a.state_or_province, a.postal_code, a.country_code, a.phone, a.address_type`

func scanAddress(s rowScanner, extra ...any) (*CustomerAddress, error) {
	var a CustomerAddress
	dest := append([]any{&a.ID, &a.CustomerID, &a.FirstName, &a.LastName, &a.Company, &a.Address1, &a.Address2,
		&a.City, &a.StateOrProvince, &a.PostalCode, &a.CountryCode, &a.Phone, &a.AddressType}, extra...)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	return &a, nil
}

var addressList = listDef[*CustomerAddress]{
	name:    "addresses",
	from:    "customer_addresses a",
	columns: addressColumns,
	scan:    scanAddress,
}

// FindAddresses returns one page of the addresses that match f, by id. It
// returns EINVALID for a bad page, limit or cursor.
func (db *DB) FindAddresses(ctx context.Context, f CustomerAddressFilter, req PageRequest) (*Page[*CustomerAddress], error) {
	return findPage(ctx, db, addressList, f.where(), idOrder("a.id"), req)
}

// FindAddressesByCustomerIDs returns every address of each customer, by id.
func (db *DB) FindAddressesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*CustomerAddress, error) {
	return db.all.FindAddressesByCustomerIDs(ctx, ids)
}
