package storage

import "testing"

// TestTokenCache checks that a revocation wins over a lookup that read the
// store before it: what such a lookup found is not cached.
func TestTokenCache(t *testing.T) {
	var c credCache[APIToken]
	gen := c.generation()
	c.put("a", APIToken{ID: 1}, gen)
	if got, ok := c.get("a"); !ok || got.ID != 1 {
		t.Fatalf("get(a) = %v, %v; want token 1", got, ok)
	}
	c.forget(func(t APIToken) bool { return t.ID == 1 })
	if _, ok := c.get("a"); ok {
		t.Fatal("a revoked token is still cached")
	}
	// A lookup began before the revocation (gen) and ends after it.
	c.put("a", APIToken{ID: 1}, gen)
	if _, ok := c.get("a"); ok {
		t.Fatal("a lookup from before a revocation cached the revoked token")
	}
	c.put("b", APIToken{ID: 2}, c.generation())
	if _, ok := c.get("b"); !ok {
		t.Fatal("a lookup after the revocation was not cached")
	}
}
