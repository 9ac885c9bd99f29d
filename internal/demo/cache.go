package demo

import (
	"container/list"
	"sync"
)

// cacheCapacity bounds the order cache. It holds every customer of the
// default data set, so a warm cache serves the demo's reads without queries.
const cacheCapacity = 1024

// orderCache is a bounded LRU of customer ID → that customer's orders.
// Cached slices are shared by concurrent readers and must not be modified.
//
// A read that misses records the cache generation and may only fill the
// entry if no invalidation happened since; otherwise a list read before a
// concurrent insert could be stored after that insert's invalidation and
// serve a stale list until evicted.
type orderCache struct {
	mu       sync.Mutex
	capacity int
	gen      uint64
	lru      *list.List // front is most recently used; values are *cacheEntry
	entries  map[int]*list.Element
	hits     int64
	misses   int64
}

type cacheEntry struct {
	customerID int
	orders     []Order
}

func newOrderCache(capacity int) *orderCache {
	return &orderCache{
		capacity: capacity,
		lru:      list.New(),
		entries:  make(map[int]*list.Element, capacity),
	}
}

// get returns the cached orders of customerID. On a miss it returns the
// generation that put must be given.
func (c *orderCache) get(customerID int) (orders []Order, gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, found := c.entries[customerID]; found {
		c.hits++
		c.lru.MoveToFront(el)
		return el.Value.(*cacheEntry).orders, c.gen, true
	}
	c.misses++
	return nil, c.gen, false
}

// put stores orders read after get returned gen, unless an invalidation
// happened in between.
func (c *orderCache) put(customerID int, orders []Order, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if el, found := c.entries[customerID]; found {
		el.Value.(*cacheEntry).orders = orders
		c.lru.MoveToFront(el)
		return
	}
	c.entries[customerID] = c.lru.PushFront(&cacheEntry{customerID: customerID, orders: orders})
	if c.lru.Len() > c.capacity {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).customerID)
	}
}

// invalidate drops customerID's entry and fences out fills that started
// before the call.
func (c *orderCache) invalidate(customerID int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if el, found := c.entries[customerID]; found {
		c.lru.Remove(el)
		delete(c.entries, customerID)
	}
}

// clear empties the cache so the next run starts cold. Hit and miss counts
// are kept: they are cumulative like every other counter in Stats.
func (c *orderCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.lru.Init()
	clear(c.entries)
}

// counts returns the cumulative hits and misses.
func (c *orderCache) counts() (hits, misses int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

// size returns the number of cached customers.
func (c *orderCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
