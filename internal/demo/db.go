package demo

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultQueryCPU is the number of burnCPU iterations one query costs when
// Options.QueryCPU is 0: about 30µs of CPU on a current server core, large
// enough to dominate a request's HTTP and JSON overhead in N+1 mode.
const DefaultQueryCPU = 25000

// errUnknownCustomer is returned by writes that reference a missing customer.
var errUnknownCustomer = errors.New("unknown customer")

// Item is one line of an order.
type Item struct {
	SKU        string `json:"sku"`
	Qty        int    `json:"qty"`
	PriceCents int64  `json:"price_cents"`
}

// Order is an order with its lines, as the API returns it.
type Order struct {
	ID         int    `json:"id"`
	CustomerID int    `json:"customer_id"`
	Items      []Item `json:"items"`
	TotalCents int64  `json:"total_cents"`
}

// orderRow is an order as the orders table stores it: without its items,
// which live in their own table so that loading them is a separate query.
type orderRow struct {
	ID         int
	CustomerID int
	TotalCents int64
}

func (o orderRow) withItems(items []Item) Order {
	return Order{ID: o.ID, CustomerID: o.CustomerID, Items: items, TotalCents: o.TotalCents}
}

// DB is the service's in-memory database. It stands in for a remote SQL
// database: each query pays a fixed cost in execQuery before touching the
// tables, and returns copies of its rows the way a driver would.
type DB struct {
	queryCPU     int
	queryLatency time.Duration

	queries atomic.Int64
	// burnSink keeps the compiler from discarding burnCPU's result and with
	// it the loop that makes queries cost CPU.
	burnSink atomic.Uint64

	mu          sync.RWMutex
	customerIDs []int
	byCustomer  map[int][]int // customer ID → order IDs, ascending
	orders      map[int]orderRow
	items       map[int][]Item // order ID → its lines
	nextOrderID int
}

// newDB seeds a database deterministically from seed: customers 1..customers,
// each with 16–24 orders of 1–5 items.
func newDB(customers int, seed int64, queryCPU int, queryLatency time.Duration) *DB {
	db := &DB{
		queryCPU:     queryCPU,
		queryLatency: queryLatency,
		customerIDs:  make([]int, 0, customers),
		byCustomer:   make(map[int][]int, customers),
		orders:       make(map[int]orderRow, customers*20),
		items:        make(map[int][]Item, customers*20),
		nextOrderID:  1,
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	for c := 1; c <= customers; c++ {
		db.customerIDs = append(db.customerIDs, c)
		db.byCustomer[c] = []int{}
		for range 16 + rng.IntN(9) {
			lines := make([]Item, 1+rng.IntN(5))
			for i := range lines {
				lines[i] = Item{
					SKU:        fmt.Sprintf("SKU-%05d", 1+rng.IntN(500)),
					Qty:        1 + rng.IntN(3),
					PriceCents: int64(199 + rng.IntN(9801)),
				}
			}
			db.insertLocked(c, lines)
		}
	}
	return db
}

// burnCPU is a deterministic hash loop: its cost depends only on iterations,
// never on the clock or the scheduler, so CPU per query stays constant under
// load and profiles attribute it to the query that asked for it.
func burnCPU(iterations int) uint64 {
	h := uint64(14695981039346656037)
	for i := range iterations {
		h ^= uint64(i)
		h *= 1099511628211
	}
	return h
}

// execQuery charges the fixed cost of one query: parse, plan and round trip.
// It runs before the table lock is taken so concurrent queries burn in
// parallel, as they would on a real database server.
func (db *DB) execQuery() {
	db.queries.Add(1)
	db.burnSink.Add(burnCPU(db.queryCPU))
	if db.queryLatency > 0 {
		time.Sleep(db.queryLatency)
	}
}

// queryOrdersByCustomer is SELECT * FROM orders WHERE customer_id = ?.
// ok is false when the customer does not exist.
func (db *DB) queryOrdersByCustomer(customerID int) (rows []orderRow, ok bool) {
	db.execQuery()
	db.mu.RLock()
	defer db.mu.RUnlock()
	ids, ok := db.byCustomer[customerID]
	if !ok {
		return nil, false
	}
	rows = make([]orderRow, len(ids))
	for i, id := range ids {
		rows[i] = db.orders[id]
	}
	return rows, true
}

// queryOrder is SELECT * FROM orders WHERE id = ?.
func (db *DB) queryOrder(orderID int) (orderRow, bool) {
	db.execQuery()
	db.mu.RLock()
	defer db.mu.RUnlock()
	row, ok := db.orders[orderID]
	return row, ok
}

// queryItemsByOrder is SELECT * FROM items WHERE order_id = ?: the query the
// N+1 pattern issues once per order.
func (db *DB) queryItemsByOrder(orderID int) []Item {
	db.execQuery()
	db.mu.RLock()
	defer db.mu.RUnlock()
	return append([]Item{}, db.items[orderID]...)
}

// queryItemsByOrderIDs is SELECT * FROM items WHERE order_id IN (...): the
// batched replacement for queryItemsByOrder. The result is parallel to
// orderIDs and shares one backing array, as a driver's row buffer would.
func (db *DB) queryItemsByOrderIDs(orderIDs []int) [][]Item {
	db.execQuery()
	db.mu.RLock()
	defer db.mu.RUnlock()
	n := 0
	for _, id := range orderIDs {
		n += len(db.items[id])
	}
	all := make([]Item, 0, n)
	out := make([][]Item, len(orderIDs))
	for i, id := range orderIDs {
		start := len(all)
		all = append(all, db.items[id]...)
		out[i] = all[start:len(all):len(all)]
	}
	return out
}

// insertOrder is INSERT INTO orders ... plus its items, in one transaction.
func (db *DB) insertOrder(customerID int, lines []Item) (Order, error) {
	db.execQuery()
	db.mu.Lock()
	defer db.mu.Unlock()
	if _, ok := db.byCustomer[customerID]; !ok {
		return Order{}, fmt.Errorf("insert order for customer %d: %w", customerID, errUnknownCustomer)
	}
	row := db.insertLocked(customerID, lines)
	return row.withItems(append([]Item{}, lines...)), nil
}

// insertLocked stores an order for an existing customer; db.mu must be held
// for writing (or db not yet shared).
func (db *DB) insertLocked(customerID int, lines []Item) orderRow {
	row := orderRow{ID: db.nextOrderID, CustomerID: customerID}
	db.nextOrderID++
	for _, it := range lines {
		row.TotalCents += int64(it.Qty) * it.PriceCents
	}
	db.orders[row.ID] = row
	db.items[row.ID] = append([]Item{}, lines...)
	db.byCustomer[customerID] = append(db.byCustomer[customerID], row.ID)
	return row
}

// customers returns the customer IDs in ascending order.
func (db *DB) customers() []int {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return append([]int{}, db.customerIDs...)
}
