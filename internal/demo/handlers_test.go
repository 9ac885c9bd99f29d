package demo

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestRoutes(t *testing.T) {
	_, ts := newTestServer(t, Options{Customers: 3})
	valid := `{"customer_id":2,"items":[{"sku":"SKU-1","qty":2,"price_cents":150}]}`
	tooLarge := `{"customer_id":2,"items":[{"sku":"` + strings.Repeat("x", maxBodyBytes) + `","qty":1,"price_cents":1}]}`
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantInBody string
	}{
		{"health", "GET", "/healthz", "", 200, `"status":"ok"`},
		{"get order", "GET", "/api/orders/1", "", 200, `"id":1,"customer_id":1`},
		{"get missing order", "GET", "/api/orders/999999", "", 404, `"error":"order 999999 not found"`},
		{"get order bad id", "GET", "/api/orders/abc", "", 400, `"error":"id: \"abc\" is not a positive integer"`},
		{"get order zero id", "GET", "/api/orders/0", "", 400, `not a positive integer`},
		{"get order signed id", "GET", "/api/orders/+1", "", 400, `not a positive integer`},
		{"customer orders", "GET", "/api/customers/3/orders", "", 200, `"customer_id":3,"orders":[{"id":`},
		{"unknown customer", "GET", "/api/customers/4/orders", "", 404, `"error":"customer 4 not found"`},
		{"customer bad id", "GET", "/api/customers/-1/orders", "", 400, `not a positive integer`},
		{"create", "POST", "/api/orders", valid, 201, `"customer_id":2,"items":[{"sku":"SKU-1","qty":2,"price_cents":150}],"total_cents":300}`},
		{"create bad json", "POST", "/api/orders", `{"customer_id":`, 400, `decode order`},
		{"create empty body", "POST", "/api/orders", "", 400, `decode order: EOF`},
		{"create wrong type", "POST", "/api/orders", `{"customer_id":"2","items":[]}`, 400, `decode order`},
		{"create unknown field", "POST", "/api/orders", `{"customer_id":2,"itemz":[]}`, 400, `unknown field \"itemz\"`},
		{"create trailing data", "POST", "/api/orders", valid + `{}`, 400, `unexpected data after the JSON object`},
		{"create no items", "POST", "/api/orders", `{"customer_id":2,"items":[]}`, 400, `items: got 0, want 1 to 100`},
		{"create every problem", "POST", "/api/orders", `{"customer_id":0,"items":[{"sku":"","qty":0,"price_cents":-1}]}`, 400,
			`customer_id: got 0, want a positive ID\nitems[0].sku: want 1 to 64 bytes\nitems[0].qty: got 0, want 1 to 1000\nitems[0].price_cents: got -1, want 0 to 10000000`},
		{"create unknown customer", "POST", "/api/orders", `{"customer_id":9,"items":[{"sku":"a","qty":1,"price_cents":1}]}`, 400, `customer_id: customer 9 does not exist`},
		{"create too large", "POST", "/api/orders", tooLarge, 413, `request body larger than 65536 bytes`},
		{"create wrong method", "PUT", "/api/orders", valid, 405, ``},
		{"mode batched", "POST", "/admin/mode?m=batched&cache=true", "", 200, `{"mode":"batched","cache":true}`},
		{"mode n+1 unescaped", "POST", "/admin/mode?m=n+1", "", 200, `{"mode":"n+1","cache":false}`},
		{"mode n+1 escaped", "POST", "/admin/mode?m=n%2B1", "", 200, `{"mode":"n+1","cache":false}`},
		{"mode n+1 ignores cache", "POST", "/admin/mode?m=nplus1&cache=1", "", 200, `{"mode":"n+1","cache":false}`},
		{"mode unknown", "POST", "/admin/mode?m=fast", "", 400, `parameter m: unknown mode \"fast\"`},
		{"mode missing", "POST", "/admin/mode", "", 400, `parameter m: unknown mode \"\"`},
		{"mode bad cache", "POST", "/admin/mode?m=batched&cache=maybe", "", 400, `parameter cache: \"maybe\" is not a boolean`},
		{"mode wrong method", "GET", "/admin/mode?m=batched", "", 405, ``},
		{"unknown route", "GET", "/api/nothing", "", 404, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			status, got := do(t, ts.Client(), tt.method, ts.URL+tt.path, body)
			if status != tt.wantStatus {
				t.Errorf("status: got %d, want %d (body %q)", status, tt.wantStatus, truncate(got))
			}
			if !bytes.Contains(got, []byte(tt.wantInBody)) {
				t.Errorf("body: got %q, want it to contain %q", truncate(got), tt.wantInBody)
			}
		})
	}
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func TestErrorResponsesAreJSON(t *testing.T) {
	_, ts := newTestServer(t, Options{Customers: 1})
	for _, path := range []string{"/api/orders/x", "/api/orders/424242", "/api/customers/2/orders"} {
		resp, err := ts.Client().Get(ts.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if got, want := resp.Header.Get("Content-Type"), "application/json"; got != want {
			t.Errorf("GET %s Content-Type: got %q, want %q", path, got, want)
		}
	}
}

func TestCreateThenGet(t *testing.T) {
	s, ts := newTestServer(t, Options{Customers: 5, Mode: ModeBatched, Cache: true})
	c := ts.Client()
	listURL := ts.URL + "/api/customers/4/orders"

	status, body := do(t, c, "GET", listURL, nil)
	if status != 200 {
		t.Fatalf("first list: got status %d, want 200", status)
	}
	before := decode[CustomerOrders](t, body)
	do(t, c, "GET", listURL, nil) // now served from the cache

	req := OrderRequest{CustomerID: 4, Items: []Item{{SKU: "SKU-NEW", Qty: 3, PriceCents: 1000}, {SKU: "SKU-2", Qty: 1, PriceCents: 5}}}
	status, body = do(t, c, "POST", ts.URL+"/api/orders", mustJSON(t, req))
	if status != 201 {
		t.Fatalf("create: got status %d, want 201 (body %s)", status, body)
	}
	created := decode[Order](t, body)
	want := Order{ID: created.ID, CustomerID: 4, Items: req.Items, TotalCents: 3005}
	if !reflect.DeepEqual(created, want) {
		t.Errorf("created: got %+v, want %+v", created, want)
	}

	status, body = do(t, c, "GET", fmt.Sprintf("%s/api/orders/%d", ts.URL, created.ID), nil)
	if status != 200 {
		t.Fatalf("get created: got status %d, want 200", status)
	}
	if got := decode[Order](t, body); !reflect.DeepEqual(got, created) {
		t.Errorf("get created: got %+v, want %+v", got, created)
	}

	queriesBefore := s.Stats().Queries
	status, body = do(t, c, "GET", listURL, nil)
	if status != 200 {
		t.Fatalf("list after create: got status %d, want 200", status)
	}
	if got, want := s.Stats().Queries-queriesBefore, int64(2); got != want {
		t.Errorf("queries for the list after create: got %d, want %d (cache not invalidated)", got, want)
	}
	after := decode[CustomerOrders](t, body)
	if got, want := len(after.Orders), len(before.Orders)+1; got != want {
		t.Fatalf("orders after create: got %d, want %d", got, want)
	}
	if got := after.Orders[len(after.Orders)-1]; !reflect.DeepEqual(got, created) {
		t.Errorf("last order after create: got %+v, want %+v", got, created)
	}
}

func TestCreateSetsLocation(t *testing.T) {
	_, ts := newTestServer(t, Options{Customers: 1})
	body := mustJSON(t, OrderRequest{CustomerID: 1, Items: []Item{{SKU: "a", Qty: 1, PriceCents: 1}}})
	resp, err := ts.Client().Post(ts.URL+"/api/orders", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	defer resp.Body.Close()
	created := decodeBody[Order](t, resp)
	if got, want := resp.Header.Get("Location"), fmt.Sprintf("/api/orders/%d", created.ID); got != want {
		t.Errorf("Location: got %q, want %q", got, want)
	}
}

func decodeBody[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatalf("read body: %v", err)
	}
	return decode[T](t, b.Bytes())
}

func TestCustomerWithoutOrdersListsEmptyArray(t *testing.T) {
	s, ts := newTestServer(t, Options{Customers: 1})
	// Customers are seeded with orders; an empty list needs a customer added
	// behind the API, which only tests may do.
	s.db.mu.Lock()
	s.db.byCustomer[77] = []int{}
	s.db.mu.Unlock()
	for _, mode := range []Mode{ModeNPlus1, ModeBatched} {
		s.SetMode(mode, false)
		status, body := do(t, ts.Client(), "GET", ts.URL+"/api/customers/77/orders", nil)
		if got, want := fmt.Sprintf("%d %s", status, body), "200 {\"customer_id\":77,\"orders\":[]}\n"; got != want {
			t.Errorf("%v: got %q, want %q", mode, got, want)
		}
	}
}

// FuzzCreateOrder feeds arbitrary bodies to the order parser: whatever the
// input, the answer is 201, 400 or 413, never a panic or a 5xx.
func FuzzCreateOrder(f *testing.F) {
	f.Add([]byte(`{"customer_id":1,"items":[{"sku":"a","qty":1,"price_cents":1}]}`))
	f.Add([]byte(`{"customer_id":1,"items":[{"sku":"a","qty":1000,"price_cents":10000000}]}`))
	f.Add([]byte(`{"customer_id":-1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"customer_id":1e400}`))
	f.Add([]byte("\xff\xfe"))
	s := New(Options{QueryCPU: testQueryCPU, Customers: 2})
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := newRecorder()
		h.ServeHTTP(rec, newRequest("POST", "/api/orders", body))
		switch rec.Code {
		case http.StatusCreated, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Errorf("status: got %d, want 201, 400 or 413 (body %q)", rec.Code, rec.Body)
		}
	})
}
