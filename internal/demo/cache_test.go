package demo

import (
	"fmt"
	"testing"
)

func TestOrderCache(t *testing.T) {
	orders := func(id int) []Order { return []Order{{ID: id}} }
	tests := []struct {
		name string
		// run drives a cache of capacity 2 and returns which of customers
		// 1, 2 and 3 it holds afterwards.
		run  func(c *orderCache)
		want string
	}{
		{"fill", func(c *orderCache) {
			_, gen, _ := c.get(1)
			c.put(1, orders(1), gen)
		}, "1"},
		{"evicts least recently used", func(c *orderCache) {
			_, gen, _ := c.get(1)
			c.put(1, orders(1), gen)
			c.put(2, orders(2), gen)
			c.get(1) // 2 is now the oldest
			c.put(3, orders(3), gen)
		}, "1 3"},
		{"invalidate drops the entry", func(c *orderCache) {
			_, gen, _ := c.get(1)
			c.put(1, orders(1), gen)
			c.put(2, orders(2), gen)
			c.invalidate(1)
		}, "2"},
		{"fill after invalidation is refused", func(c *orderCache) {
			_, gen, _ := c.get(1) // miss; the database is read now
			c.invalidate(1)       // a concurrent insert lands
			c.put(1, orders(1), gen)
		}, ""},
		{"clear", func(c *orderCache) {
			_, gen, _ := c.get(1)
			c.put(1, orders(1), gen)
			c.clear()
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newOrderCache(2)
			tt.run(c)
			var got string
			for id := 1; id <= 3; id++ {
				if el, ok := c.entries[id]; ok {
					if cached := el.Value.(*cacheEntry).orders; cached[0].ID != id {
						t.Errorf("customer %d: got orders of %d", id, cached[0].ID)
					}
					got += fmt.Sprintf(" %d", id)
				}
			}
			if len(got) > 0 {
				got = got[1:]
			}
			if got != tt.want {
				t.Errorf("cached customers: got %q, want %q", got, tt.want)
			}
			if c.size() != len(c.entries) {
				t.Errorf("size: got %d, want %d", c.size(), len(c.entries))
			}
		})
	}
}

func TestOrderCacheCounts(t *testing.T) {
	c := newOrderCache(4)
	_, gen, _ := c.get(1)
	c.put(1, []Order{}, gen)
	c.get(1)
	c.get(1)
	c.get(2)
	hits, misses := c.counts()
	if got, want := fmt.Sprintf("hits=%d misses=%d", hits, misses), "hits=2 misses=2"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
