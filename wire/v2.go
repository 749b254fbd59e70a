package wire

// V2Customer is a V2 customer (customer_Full). Dates are RFC 1123 with a
// numeric zone (`Thu, 11 Jan 2018 20:57:52 +0000`).
type V2Customer struct {
	ID                    int           `json:"id"`
	Company               string        `json:"company"`
	FirstName             string        `json:"first_name"`
	LastName              string        `json:"last_name"`
	Email                 string        `json:"email"`
	Phone                 string        `json:"phone"`
	DateCreated           string        `json:"date_created"`
	DateModified          string        `json:"date_modified"`
	StoreCredit           Decimal       `json:"store_credit"`
	RegistrationIPAddress string        `json:"registration_ip_address"`
	CustomerGroupID       int           `json:"customer_group_id"`
	Notes                 string        `json:"notes"`
	TaxExemptCategory     string        `json:"tax_exempt_category"`
	AcceptsMarketing      bool          `json:"accepts_marketing"`
	Addresses             V2Resource    `json:"addresses"`
	FormFields            []V2FormField `json:"form_fields"`
	ResetPassOnLogin      bool          `json:"reset_pass_on_login"`
}

// V2Resource links to a sub-resource.
type V2Resource struct {
	URL      string `json:"url"`
	Resource string `json:"resource"`
}

// V2FormField is a form field value as V2 shows it: always text.
type V2FormField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// V2CustomerWrite is the body of POST /customers (first_name, last_name
// and email required) and PUT /customers/{id} (absent fields left alone).
type V2CustomerWrite struct {
	Authentication        *V2Authentication `json:"_authentication,omitempty"`
	Company               *string           `json:"company,omitempty"`
	FirstName             *string           `json:"first_name,omitempty"`
	LastName              *string           `json:"last_name,omitempty"`
	Email                 *string           `json:"email,omitempty"`
	Phone                 *string           `json:"phone,omitempty"`
	StoreCredit           *Decimal          `json:"store_credit,omitempty"`
	RegistrationIPAddress *string           `json:"registration_ip_address,omitempty"`
	CustomerGroupID       Optional[*int]    `json:"customer_group_id,omitzero"`
	Notes                 *string           `json:"notes,omitempty"`
	TaxExemptCategory     *string           `json:"tax_exempt_category,omitempty"`
}

// V2Authentication sets a V2 customer's password.
type V2Authentication struct {
	ForceReset           *bool   `json:"force_reset,omitempty"`
	Password             *string `json:"password,omitempty"`
	PasswordConfirmation *string `json:"password_confirmation,omitempty"`
}

// V2Address is a V2 customer address (customerAddress_Full); State and
// Country are written in full.
type V2Address struct {
	ID          int    `json:"id"`
	CustomerID  int    `json:"customer_id"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	Company     string `json:"company"`
	Street1     string `json:"street_1"`
	Street2     string `json:"street_2"`
	City        string `json:"city"`
	State       string `json:"state"`
	Zip         string `json:"zip"`
	Country     string `json:"country"`
	CountryISO2 string `json:"country_iso2"`
	Phone       string `json:"phone"`
	AddressType string `json:"address_type"`
}

// V2AddressWrite is the body of an address create (first_name, last_name,
// phone, street_1, city, state, zip and country required) or update.
type V2AddressWrite struct {
	FirstName   *string `json:"first_name,omitempty"`
	LastName    *string `json:"last_name,omitempty"`
	Company     *string `json:"company,omitempty"`
	Street1     *string `json:"street_1,omitempty"`
	Street2     *string `json:"street_2,omitempty"`
	City        *string `json:"city,omitempty"`
	State       *string `json:"state,omitempty"`
	Zip         *string `json:"zip,omitempty"`
	Country     *string `json:"country,omitempty"`
	Phone       *string `json:"phone,omitempty"`
	AddressType *string `json:"address_type,omitempty"`
}

// V2Group is a customer group (customerGroup_Full). Dates are
// `2006-01-02 15:04:05` in UTC.
type V2Group struct {
	ID               int              `json:"id"`
	Name             string           `json:"name"`
	IsDefault        bool             `json:"is_default"`
	CategoryAccess   V2CategoryAccess `json:"category_access"`
	DiscountRules    []V2DiscountRule `json:"discount_rules"`
	IsGroupForGuests bool             `json:"is_group_for_guests"`
	DateCreated      string           `json:"date_created"`
	DateModified     string           `json:"date_modified"`
}

// V2CategoryAccess is a group's access to the catalog; Categories only
// with type specific.
type V2CategoryAccess struct {
	Type       string `json:"type"`
	Categories []int  `json:"categories,omitempty"`
}

// V2DiscountRule is one discount rule of a group; a price_list rule has
// only its type and price list.
type V2DiscountRule struct {
	Type        string   `json:"type"`
	Method      *string  `json:"method,omitempty"`
	Amount      *Decimal `json:"amount,omitempty"`
	PriceListID *int     `json:"price_list_id,omitempty"`
	CategoryID  *int     `json:"category_id,omitempty"`
	ProductID   *int     `json:"product_id,omitempty"`
}

// V2GroupWrite is the body of a group create (name required) or update
// (absent fields left alone; discount_rules replaces the list).
type V2GroupWrite struct {
	Name             *string                    `json:"name,omitempty"`
	IsDefault        *bool                      `json:"is_default,omitempty"`
	CategoryAccess   *V2CategoryAccess          `json:"category_access,omitempty"`
	DiscountRules    Optional[[]V2DiscountRule] `json:"discount_rules,omitzero"`
	IsGroupForGuests *bool                      `json:"is_group_for_guests,omitempty"`
}

// V2PasswordCheck is the body of POST /customers/{id}/validate.
type V2PasswordCheck struct {
	Password string `json:"password"`
}

// V2PasswordResult answers a password check.
type V2PasswordResult struct {
	Success bool `json:"success"`
}

// V2Errors is a V2 error body.
type V2Errors struct {
	Errors []V2Error `json:"errors"`
}

// V2Error is one problem of a V2 request.
type V2Error struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Type   string `json:"type"`
}
