package benchdata

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// DefaultSeed is the seed of the published data sets.
const DefaultSeed = 20261122

// RareFirstName and RareLastName name one customer in every 100,000
// (ids 1234, 101234, ...), for the rare-name search; RareEvery is that
// spacing and RareID the first such id.
const (
	RareFirstName = "Zyxwvut"
	RareLastName  = "Quixotic"
	RareEvery     = 100_000
	RareID        = 1234
)

// IsRare reports whether customer id carries the rare name.
func IsRare(id int) bool { return id >= RareID && (id-RareID)%RareEvery == 0 }

// Dates of the data set: customers are created between Start and Start +
// Span, later ids later (with a few days of jitter, so that date order and
// id order differ), as in a store that has grown for years.
var (
	Start = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	Span  = 6*365*24*time.Hour + 180*24*time.Hour
)

// Name lists: a mix of languages, with and without "an", several
// non-ASCII (folded for nameLike: "ÅSA" finds "Åsa").
var firstNames = []string{
	"James", "Mary", "Daniel", "Anna", "Jan", "Brian", "Nathan", "Morgan", "Sofia", "Liam",
	"Olivia", "Noah", "Emma", "Lucas", "Mia", "Ethan", "Chloe", "Oliver", "Grace", "Hannah",
	"Ryan", "Joanna", "Ivan", "Stefan", "José", "Zoë", "Łukasz", "Søren", "Åsa", "Renée",
	"François", "Jürgen", "Björn", "Małgorzata", "Siobhán", "Ólafur", "Chiara", "Matteo", "Yuki", "Haruto",
	"Wei", "Priya", "Arjun", "Fatima", "Omar", "Leila", "Mehmet", "Ayşe", "Olga", "Dmitri",
	"Tomás", "Inés", "Zoltán", "Anaïs", "Kwame", "Amara", "Thandiwe", "Kai", "Elif", "Ingrid",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Hansen", "Fernandez",
	"Jensen", "Morgan", "Nguyễn", "Müller", "Schmidt", "Kowalski", "Novák", "Dubois", "Rossi", "Bianchi",
	"Santos", "Silva", "Tanaka", "Sato", "Kim", "Lee", "Patel", "Khan", "Singh", "Chen",
	"Wang", "Ivanova", "Petrov", "Öztürk", "Yılmaz", "Andersson", "Lindqvist", "O'Brien", "Murphy", "Kelly",
	"Van der Berg", "García", "López", "Martínez", "González", "Hernández", "Sánchez", "Romano", "Costa", "Mendes",
	"Okafor", "Mensah", "Dlamini", "Nakamura", "Svensson", "Nielsen", "Gallagher", "Fitzgerald", "Weiß", "Þórsson",
}

var domains = []string{"example.com", "example.org", "mail.example.net", "shop.example.co.uk", "example.de"}

var companies = []string{"Acme Ltd", "Globex", "Initech", "Umbrella & Sons", "Müller GmbH", "Nordvind AB", "Tanaka Shōji"}

// place is a valid address location: states where the country requires
// them, postal codes where it has them.
type place struct{ country, state, city, postal string }

var places = []place{
	{"US", "California", "San Francisco", "94107"},
	{"US", "New York", "Brooklyn", "11201"},
	{"US", "Texas", "Austin", "78701"},
	{"CA", "Ontario", "Toronto", "M5V 2T6"},
	{"GB", "", "London", "SW1A 1AA"},
	{"DE", "", "Berlin", "10115"},
	{"FR", "", "Paris", "75001"},
	{"ES", "", "Sevilla", "41001"},
	{"SE", "", "Malmö", "211 22"},
	{"PL", "", "Kraków", "31-001"},
	{"BR", "São Paulo", "São Paulo", "01310-100"},
	{"JP", "Tokyo", "Shibuya", "150-0002"},
	{"AU", "New South Wales", "Sydney", "2000"},
	{"NO", "", "Tromsø", "9008"},
}

var streets = []string{"Main Street", "High Street", "Elm Avenue", "Königstraße", "Rue de Rivoli", "Calle Mayor",
	"Storgatan", "Ulica Długa", "Avenida Paulista", "Station Road", "Harbour View", "Ōdōri"}

var instructions = []string{"Leave at the back door", "Ring twice", "Knock & wait", "Call on arrival — 10 min",
	"Parcel box <left side>", "Neighbour at no. 4 accepts parcels", "Gate code in app"}

var tiers = []string{"Bronze", "Silver", "Gold", "Platinum"}
var segments = []string{"B2C", "B2B", "Student", "Senior", "Trade"}
var storesList = []string{"Downtown", "Malmö Centrum", "Kraków Rynek", "Airport", "Online only"}

// slug keeps the ASCII letters of a name, lower-cased, for emails.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

func formatDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// Customer returns customer id (1..n) of the data set of n customers with
// the seed, in the V3 form import reads. Address ids are 4(id-1)+1.. and
// attribute value ids 8(id-1)+1.., so every id is unique in the set.
func Customer(seed uint64, id, n int) wire.Customer {
	r := rand.New(rand.NewPCG(seed, uint64(id)))
	first, last := pick(r, firstNames), pick(r, lastNames)
	if IsRare(id) {
		first, last = RareFirstName, RareLastName
	}
	frac := float64(id-1) / float64(max(n, 1))
	created := Start.Add(time.Duration(frac * float64(Span))).Add(time.Duration(r.IntN(4*24*3600)-2*24*3600) * time.Second)
	if created.Before(Start) {
		created = Start
	}
	created = created.Truncate(time.Second)
	modified := created
	if r.IntN(3) > 0 {
		modified = created.Add(time.Duration(r.IntN(300*24*3600)) * time.Second)
	}
	c := wire.Customer{
		ID:        id,
		Email:     fmt.Sprintf("%s.%s.%d@%s", slug(first), slug(last), id, pick(r, domains)),
		FirstName: first, LastName: last,
		DateCreated: formatDate(created), DateModified: formatDate(modified),
		Addresses: []wire.Address{}, Attributes: []wire.AttributeValue{},
		FormFields: []wire.FormFieldValue{}, StoreCreditAmounts: []wire.StoreCreditAmount{},
		OriginChannelID: 1,
	}
	if r.IntN(100) < 60 {
		c.Phone = fmt.Sprintf("+1 555 %04d %03d", r.IntN(10000), r.IntN(1000))
	}
	if r.IntN(100) < 15 {
		c.Company = pick(r, companies)
	}
	if r.IntN(2) == 0 {
		c.RegistrationIPAddress = fmt.Sprintf("203.0.113.%d", r.IntN(255)+1)
	}
	if r.IntN(100) < 80 {
		c.CustomerGroupID = 1 + r.IntN(len(Groups))
	}
	c.AcceptsProductReviewAbandonedCartEmails = r.IntN(2) == 0

	// Addresses: 0 (15%), 1 (45%), 2 (30%) or 3 (10%), each with 0-2 form
	// field values.
	na := 0
	switch x := r.IntN(100); {
	case x < 15:
	case x < 60:
		na = 1
	case x < 90:
		na = 2
	default:
		na = 3
	}
	for j := range na {
		p := pick(r, places)
		a := wire.Address{
			ID: 4*(id-1) + j + 1, CustomerID: id, FirstName: first, LastName: last,
			Address1: fmt.Sprintf("%d %s", 10*(1+r.IntN(200))+j, pick(r, streets)),
			City:     p.city, StateOrProvince: p.state, PostalCode: p.postal, CountryCode: p.country,
			AddressType: "residential", FormFields: []wire.FormFieldValue{},
		}
		if r.IntN(5) == 0 {
			a.AddressType = "commercial"
			a.Company = pick(r, companies)
		}
		if r.IntN(3) == 0 {
			a.Address2 = fmt.Sprintf("Apt %d", 1+r.IntN(40))
		}
		for _, k := range r.Perm(len(addressFields))[:r.IntN(3)] {
			f := addressFields[k]
			a.FormFields = append(a.FormFields, wire.FormFieldValue{Name: f.Name, Value: valueJSON(addressValue(r, f))})
		}
		c.Addresses = append(c.Addresses, a)
	}

	// Attribute values: 2-5 distinct attributes.
	for j, k := range r.Perm(len(Attributes))[:2+r.IntN(4)] {
		c.Attributes = append(c.Attributes, wire.AttributeValue{
			ID: 8*(id-1) + j + 1, CustomerID: id, AttributeID: k + 1, AttributeValue: attributeValue(r, k),
			DateCreated: c.DateCreated, DateModified: c.DateModified,
		})
	}

	// Customer form field values: 1-3 distinct fields.
	for _, k := range r.Perm(len(customerFields))[:1+r.IntN(3)] {
		f := customerFields[k]
		c.FormFields = append(c.FormFields, wire.FormFieldValue{Name: f.Name, Value: valueJSON(customerValue(r, f, id))})
	}

	// Store credit for about 30%: one or two amounts in cents.
	if r.IntN(100) < 30 {
		for range 1 + r.IntN(2) {
			c.StoreCreditAmounts = append(c.StoreCreditAmounts, wire.StoreCreditAmount{Amount: float64(r.IntN(50000)) / 100})
		}
	}
	return c
}

func attributeValue(r *rand.Rand, k int) string {
	switch Attributes[k].Name {
	case "Loyalty tier":
		return pick(r, tiers)
	case "Lifetime orders":
		return strconv.Itoa(r.IntN(400))
	case "Average basket":
		return strconv.FormatFloat(float64(r.IntN(100000))/100, 'f', -1, 64)
	case "First order", "Last visit":
		return Start.AddDate(0, 0, r.IntN(2400)).Format("2006-01-02")
	case "Preferred store":
		return pick(r, storesList)
	case "Segment":
		return pick(r, segments)
	default:
		return fmt.Sprintf("REF-%05d", r.IntN(100000))
	}
}

// valueJSON is a form value in the wire shape.
func valueJSON(v storage.FormValue) json.RawMessage {
	b, _ := v.MarshalJSON() // never fails
	return b
}

func customerValue(r *rand.Rand, f FormField, id int) storage.FormValue {
	switch f.Type {
	case storage.FormFieldPicklist:
		return storage.StringValue(pick(r, f.Options))
	case storage.FormFieldCheckboxes:
		var out []string
		for _, o := range f.Options {
			if r.IntN(2) == 0 {
				out = append(out, o)
			}
		}
		if len(out) == 0 {
			out = f.Options[:1]
		}
		return storage.StringsValue(out)
	case storage.FormFieldDate:
		return storage.StringValue(time.Date(1950+r.IntN(55), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC).Format("2006-01-02"))
	case storage.FormFieldNumbers:
		return storage.NumberValue(float64(70+r.IntN(20)) / 2)
	default:
		return storage.StringValue(fmt.Sprintf("LC-%07d", id))
	}
}

func addressValue(r *rand.Rand, f FormField) storage.FormValue {
	switch f.Type {
	case storage.FormFieldRadioButtons:
		return storage.StringValue(pick(r, f.Options))
	case storage.FormFieldNumbers:
		return storage.NumberValue(float64(1000 + r.IntN(9000)))
	default:
		return storage.StringValue(pick(r, instructions))
	}
}

// Write writes the data set of n customers with the seed to w as V3 JSON
// lines, ids 1..n in order. It encodes on every core and returns the bytes
// written.
func Write(w io.Writer, seed uint64, n int) (int64, error) {
	const chunk = 2000
	workers := runtime.GOMAXPROCS(0)
	type job struct {
		from int
		out  chan []byte
	}
	jobs := make(chan job, workers*2)
	order := make(chan chan []byte, workers*2)
	go func() {
		defer close(order)
		defer close(jobs)
		for from := 1; from <= n; from += chunk {
			j := job{from: from, out: make(chan []byte, 1)}
			jobs <- j
			order <- j.out
		}
	}()
	for range workers {
		go func() {
			for j := range jobs {
				var buf strings.Builder
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				for id := j.from; id < j.from+chunk && id <= n; id++ {
					c := Customer(seed, id, n)
					if err := enc.Encode(&c); err != nil {
						panic(err) // plain data always encodes
					}
				}
				j.out <- []byte(buf.String())
			}
		}()
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var total int64
	var werr error
	for out := range order {
		b := <-out
		if werr == nil {
			var k int
			k, werr = bw.Write(b)
			total += int64(k)
		}
	}
	if werr != nil {
		return total, werr
	}
	return total, bw.Flush()
}
