package graph

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/storefront/customers/throttle"
)

// CodeThrottled is the top-level error code of a refused, throttled request.
const CodeThrottled = "THROTTLED"

// Throttles pace the attempts that could guess passwords or flood sign-ups:
// a key may try Burst times at once, then once per Every.
//
// Password checks are paced per (account, client address), so that a
// stranger's wrong guesses cannot lock an account's owner out: the owner
// signs in from another address with a budget of its own. A client address
// trying many accounts is paced on its own (credential stuffing), and an
// account tried from many addresses meets a looser ceiling (a distributed
// guess).
type Throttles struct {
	// CredentialsEvery and CredentialsBurst pace one client address's
	// checks of one account's password.
	CredentialsEvery time.Duration
	CredentialsBurst int
	// ClientEvery and ClientBurst pace one client address's checks of any
	// account's password.
	ClientEvery time.Duration
	ClientBurst int
	// AccountEvery and AccountBurst pace the checks of one account's
	// password from every address together.
	AccountEvery time.Duration
	AccountBurst int
	// SignupsEvery and SignupsBurst pace one client address's
	// registrations.
	SignupsEvery time.Duration
	SignupsBurst int
}

// DefaultThrottles allow ten password checks of an account from an
// address, then one every six seconds; thirty from an address over all
// accounts, then one every two seconds; a hundred of an account from all
// addresses, then one every six seconds; and five sign-ups, then one every
// twelve seconds, per address.
var DefaultThrottles = Throttles{CredentialsEvery: 6 * time.Second, CredentialsBurst: 10,
	ClientEvery: 2 * time.Second, ClientBurst: 30, AccountEvery: 6 * time.Second, AccountBurst: 100,
	SignupsEvery: 12 * time.Second, SignupsBurst: 5}

// withDefaults fills the zero fields from DefaultThrottles.
func (t Throttles) withDefaults() Throttles {
	d := DefaultThrottles
	pick := func(v *time.Duration, b *int, dv time.Duration, db int) {
		if *v <= 0 {
			*v = dv
		}
		if *b <= 0 {
			*b = db
		}
	}
	pick(&t.CredentialsEvery, &t.CredentialsBurst, d.CredentialsEvery, d.CredentialsBurst)
	pick(&t.ClientEvery, &t.ClientBurst, d.ClientEvery, d.ClientBurst)
	pick(&t.AccountEvery, &t.AccountBurst, d.AccountEvery, d.AccountBurst)
	pick(&t.SignupsEvery, &t.SignupsBurst, d.SignupsEvery, d.SignupsBurst)
	return t
}

// Passwords returns the pacing of password checks the throttles describe,
// to share between the APIs that check passwords (GraphQL and REST).
func (t Throttles) Passwords() *throttle.Passwords {
	t = t.withDefaults()
	return throttle.NewPasswords(throttle.Rate{Every: t.CredentialsEvery, Burst: t.CredentialsBurst},
		throttle.Rate{Every: t.ClientEvery, Burst: t.ClientBurst}, throttle.Rate{Every: t.AccountEvery, Burst: t.AccountBurst})
}

// passwordThrottles pace password checks (throttle.Passwords) and answer a
// refused one with THROTTLED and its wait.
type passwordThrottles struct{ p *throttle.Passwords }

// attempt takes a check of account's password by the client address; when
// a budget has none left, the error is THROTTLED with the wait until all
// have one.
func (p passwordThrottles) attempt(ctx context.Context, account, client string) error {
	ok, wait := p.p.Attempt(ctx, account, client)
	if ok {
		return nil
	}
	return throttledError(ctx, wait, "Too many attempts; try again in %s.", secondsText(retrySeconds(wait)))
}

// attempt takes an attempt from t for every key; when one has none left,
// nothing is tried and the error is THROTTLED with the wait until all have
// one.
func attempt(ctx context.Context, t *throttle.Keyed, keys ...string) error {
	if t.Allow(keys...) {
		return nil
	}
	wait := t.Wait(keys...)
	return throttledError(ctx, wait, "Too many attempts; try again in %s.", secondsText(retrySeconds(wait)))
}

type clientKey struct{}

// withClient records the client's address in the request's context.
func withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, host)))
	})
}

// clientAddress returns the client's IP address, or "".
func clientAddress(ctx context.Context) string {
	s, _ := ctx.Value(clientKey{}).(string)
	return s
}
