package graph

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Cost budgets. Each caller (an API token, a shopper, an anonymous client
// address) spends an operation's cost from a bucket that refills
// continuously. An API token may carry its own budget and refill rate
// (token create -cost-budget, -cost-restore); everyone else has the
// server's. A budget of 0 is unlimited.
//
// Only what runs is paid for. An operation refused as a whole (it does not
// parse or validate, it is too deep or too costly, the budget is short) is
// refused before anything is taken. An operation that runs pays its cost
// up front, and gets back, once it has run, the cost of every field that
// was refused without running: a field the caller may not use
// (UNAUTHENTICATED, FORBIDDEN), a field whose arguments are bad
// (BAD_USER_INPUT), a sign-in turned away by its throttle (THROTTLED).

// budget is a caller's cost budget: at most max at once, refilling restore
// a second; max 0 is unlimited.
type budget struct{ max, restore int }

// unlimited reports whether the budget never runs out.
func (b budget) unlimited() bool { return b.max <= 0 }

// budgetOf returns the caller's budget: its token's own, or the server's.
func (l *limiter) budgetOf(c *Caller) budget {
	b := budget{max: l.limits.Budget, restore: l.limits.Restore}
	if c.Token != nil {
		if c.Token.CostBudget != nil {
			b.max = *c.Token.CostBudget
		}
		if c.Token.CostRestore != nil {
			b.restore = *c.Token.CostRestore
		}
	}
	return b
}

// buckets keeps the callers' buckets.
type buckets struct {
	mu    sync.Mutex
	m     map[string]*costBucket
	swept time.Time
}

type costBucket struct {
	available float64
	at        time.Time
	budget    budget
}

// refilled is what the bucket holds at now.
func (b *costBucket) refilled(now time.Time) float64 {
	return math.Min(float64(b.budget.max), b.available+now.Sub(b.at).Seconds()*float64(b.budget.restore))
}

// bucket returns key's bucket, refilled to now, under bs.mu. A caller
// whose budget changed (a restart with other flags, say) keeps what it
// had, up to the new maximum.
func (bs *buckets) bucket(key string, bud budget, now time.Time) *costBucket {
	if bs.m == nil {
		bs.m = map[string]*costBucket{}
	}
	// Drop full buckets now and then, so memory follows active callers.
	if now.Sub(bs.swept) > time.Minute {
		for k, b := range bs.m {
			if b.refilled(now) >= float64(b.budget.max) {
				delete(bs.m, k)
			}
		}
		bs.swept = now
	}
	b := bs.m[key]
	if b == nil {
		b = &costBucket{available: float64(bud.max), at: now, budget: bud}
		bs.m[key] = b
	}
	b.available, b.at, b.budget = b.refilled(now), now, bud
	b.available = math.Min(b.available, float64(bud.max))
	return b
}

// spend takes cost from key's bucket. It returns what is left and whether
// there was enough; when there was not, it returns how long until there
// will be (0 when the bucket never refills).
func (bs *buckets) spend(key string, bud budget, cost int) (left int, wait time.Duration, ok bool) {
	now := time.Now()
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b := bs.bucket(key, bud, now)
	if b.available < float64(cost) {
		if bud.restore > 0 {
			wait = time.Duration((float64(cost) - b.available) / float64(bud.restore) * float64(time.Second))
		}
		return int(b.available), wait, false
	}
	b.available -= float64(cost)
	return int(b.available), 0, true
}

// refund gives cost back to key's bucket; it returns what the bucket holds.
func (bs *buckets) refund(key string, bud budget, cost int) int {
	now := time.Now()
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b := bs.bucket(key, bud, now)
	b.available = math.Min(float64(bud.max), b.available+float64(cost))
	return int(b.available)
}

// charge is what an operation paid, kept until it has run.
type charge struct {
	key    string
	budget budget
	cost   int
	once   sync.Once
}

// chargeKey names the operation's charge among its Stats extensions (it is
// never sent).
const chargeKey = "limits.charge"

// charge takes the operation's cost from the caller's budget, or refuses
// the operation with THROTTLED (and how long to wait) when the budget is
// short, or with COMPLEXITY_LIMIT_EXCEEDED when it can never hold it.
func (l *limiter) charge(ctx context.Context, op *graphql.OperationContext, cost int, report *costReport) *gqlerror.Error {
	c := callerOf(ctx)
	bud := l.budgetOf(c)
	report.ActualQueryCost = cost
	if bud.unlimited() {
		return nil
	}
	report.ThrottleStatus = &throttleStatus{MaximumAvailable: bud.max, RestoreRate: bud.restore}
	if cost > bud.max {
		return limitError("The query costs %d; this caller's cost budget holds %d at most. Ask for smaller pages or fewer fields.",
			cost, bud.max)
	}
	left, wait, ok := l.buckets.spend(c.key(), bud, cost)
	report.ThrottleStatus.CurrentlyAvailable = left
	if !ok {
		report.ActualQueryCost = 0
		err := throttledError(ctx, wait, "The cost budget is short: the query costs %d, %d is left, and it refills by %d a second.",
			cost, left, bud.restore)
		err.Extensions["cost"] = report
		return err
	}
	op.Stats.SetExtension(chargeKey, &charge{key: c.key(), budget: bud, cost: cost})
	return nil
}

// settle gives back, once the operation has run, the cost of the fields
// that were refused without running (see refusedCodes), and updates the
// report.
func (l *limiter) settle(ctx context.Context, op *graphql.OperationContext, res *graphql.Response, report *costReport) {
	ch, ok := op.Stats.GetExtension(chargeKey).(*charge)
	if !ok || op.Operation == nil || op.Operation.Operation == ast.Subscription {
		return
	}
	ch.once.Do(func() {
		back := min(l.refusedCost(ctx, op, res.Errors), ch.cost)
		report.ActualQueryCost = ch.cost - back
		if back > 0 {
			report.ThrottleStatus.CurrentlyAvailable = l.buckets.refund(ch.key, ch.budget, back)
		}
	})
}

// refusedCodes are the codes of a field refused before it ran.
var refusedCodes = map[string]bool{
	CodeUnauthenticated: true, CodeForbidden: true, CodeBadUserInput: true, CodeThrottled: true,
	CodeComplexityLimit: true, "GRAPHQL_VALIDATION_FAILED": true,
}

// refusedCost sums the cost of the fields that errs say were refused: for
// each such error, the cost of the field at its path, once per error (an
// error inside a list names one item).
func (l *limiter) refusedCost(ctx context.Context, op *graphql.OperationContext, errs gqlerror.List) int {
	total := 0
	for _, e := range errs {
		code, _ := e.Extensions["code"].(string)
		if !refusedCodes[code] || len(e.Path) == 0 {
			continue
		}
		for _, f := range fieldsAt(op, e.Path) {
			total += complexity.Calculate(ctx, l.schema, &ast.OperationDefinition{SelectionSet: ast.SelectionSet{f}},
				op.Variables, complexity.WithFixedScalarValue(0))
		}
	}
	return total
}

// fieldsAt returns the fields of the operation that answer at path: the
// selections whose response key is the path's last name, under those of
// the names before it (list indexes are skipped: every item has the same
// selections). A key selected twice (two fragments) gives both, as the cost
// counted both.
func fieldsAt(op *graphql.OperationContext, path ast.Path) []*ast.Field {
	sets := []ast.SelectionSet{op.Operation.SelectionSet}
	var found []*ast.Field
	for _, p := range path {
		name, ok := p.(ast.PathName)
		if !ok {
			continue
		}
		found = nil
		for _, set := range sets {
			found = append(found, fieldsNamed(op, set, string(name), map[string]bool{})...)
		}
		sets = sets[:0]
		for _, f := range found {
			sets = append(sets, f.SelectionSet)
		}
	}
	return found
}

// fieldsNamed returns the fields of set, through fragments, whose response
// key is key.
func fieldsNamed(op *graphql.OperationContext, set ast.SelectionSet, key string, seen map[string]bool) []*ast.Field {
	var out []*ast.Field
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if s.Alias == key || (s.Alias == "" && s.Name == key) {
				out = append(out, s)
			}
		case *ast.InlineFragment:
			out = append(out, fieldsNamed(op, s.SelectionSet, key, seen)...)
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := op.Doc.Fragments.ForName(s.Name); f != nil {
				out = append(out, fieldsNamed(op, f.SelectionSet, key, seen)...)
			}
		}
	}
	return out
}
