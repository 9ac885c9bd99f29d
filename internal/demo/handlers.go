package demo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
)

// Limits on a created order. They keep one request's work bounded and give
// invalid input a clear 400 rather than an overflowed total.
const (
	maxBodyBytes  = 64 << 10
	maxItems      = 100
	maxQty        = 1000
	maxPriceCents = 10_000_000
	maxSKULen     = 64
	// maxProblems caps how many validation problems one answer lists.
	maxProblems = 10
)

// Route patterns, also the keys of Stats.Routes.
const (
	RouteCreateOrder    = "POST /api/orders"
	RouteGetOrder       = "GET /api/orders/{id}"
	RouteCustomerOrders = "GET /api/customers/{id}/orders"
	RouteHealth         = "GET /healthz"
	RouteSetMode        = "POST /admin/mode"
)

// OrderRequest is the body of POST /api/orders.
type OrderRequest struct {
	CustomerID int    `json:"customer_id"`
	Items      []Item `json:"items"`
}

// CustomerOrders is the body of GET /api/customers/{id}/orders.
type CustomerOrders struct {
	CustomerID int     `json:"customer_id"`
	Orders     []Order `json:"orders"`
}

// ModeResponse is the body POST /admin/mode answers with: the mode in
// effect after the switch.
type ModeResponse struct {
	Mode  string `json:"mode"`
	Cache bool   `json:"cache"`
}

type errorResponse struct {
	Error string `json:"error"`
}

func (s *Server) routesMux() *http.ServeMux {
	s.routes = make(map[string]*routeCounters)
	mux := http.NewServeMux()
	mux.Handle(RouteCreateOrder, s.instrument(RouteCreateOrder, s.createOrder))
	mux.Handle(RouteGetOrder, s.instrument(RouteGetOrder, s.getOrder))
	mux.Handle(RouteCustomerOrders, s.instrument(RouteCustomerOrders, s.customerOrders))
	mux.Handle(RouteHealth, s.instrument(RouteHealth, health))
	mux.Handle(RouteSetMode, s.instrument(RouteSetMode, s.setModeHandler))

	// Registered by hand: importing net/http/pprof also registers these on
	// http.DefaultServeMux, which this service never serves.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	req, status, err := decodeOrderRequest(w, r)
	if err != nil {
		writeError(w, status, err)
		return
	}
	order, err := s.db.insertOrder(req.CustomerID, req.Items)
	if errors.Is(err, errUnknownCustomer) {
		writeError(w, http.StatusBadRequest, fmt.Errorf("customer_id: customer %d does not exist", req.CustomerID))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	// After the insert, so a concurrent read that missed before it cannot
	// fill the cache with the list that lacks this order.
	s.cache.invalidate(req.CustomerID)
	w.Header().Set("Location", "/api/orders/"+strconv.Itoa(order.ID))
	writeJSON(w, http.StatusCreated, order)
}

// decodeOrderRequest reads and validates a bounded order body. On error it
// returns the status to answer with.
func decodeOrderRequest(w http.ResponseWriter, r *http.Request) (OrderRequest, int, error) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	var req OrderRequest
	err := dec.Decode(&req)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("unexpected data after the JSON object")
	}
	if err != nil {
		if maxErr := (*http.MaxBytesError)(nil); errors.As(err, &maxErr) {
			return req, http.StatusRequestEntityTooLarge, fmt.Errorf("request body larger than %d bytes", maxErr.Limit)
		}
		return req, http.StatusBadRequest, fmt.Errorf("decode order: %w", err)
	}
	if err := req.validate(); err != nil {
		return req, http.StatusBadRequest, err
	}
	return req, 0, nil
}

// validate reports every problem with the request at once.
func (req OrderRequest) validate() error {
	var errs []error
	if req.CustomerID <= 0 {
		errs = append(errs, fmt.Errorf("customer_id: got %d, want a positive ID", req.CustomerID))
	}
	if len(req.Items) == 0 || len(req.Items) > maxItems {
		errs = append(errs, fmt.Errorf("items: got %d, want 1 to %d", len(req.Items), maxItems))
	}
	for i, it := range req.Items {
		if it.SKU == "" || len(it.SKU) > maxSKULen {
			errs = append(errs, fmt.Errorf("items[%d].sku: want 1 to %d bytes", i, maxSKULen))
		}
		if it.Qty < 1 || it.Qty > maxQty {
			errs = append(errs, fmt.Errorf("items[%d].qty: got %d, want 1 to %d", i, it.Qty, maxQty))
		}
		if it.PriceCents < 0 || it.PriceCents > maxPriceCents {
			errs = append(errs, fmt.Errorf("items[%d].price_cents: got %d, want 0 to %d", i, it.PriceCents, maxPriceCents))
		}
		if len(errs) >= maxProblems {
			errs = append(errs, errors.New("further problems not reported"))
			break
		}
	}
	return errors.Join(errs...)
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	row, ok := s.db.queryOrder(id)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Errorf("order %d not found", id))
		return
	}
	writeJSON(w, http.StatusOK, row.withItems(s.db.queryItemsByOrder(id)))
}

func (s *Server) customerOrders(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	orders, ok := s.loadCustomerOrders(id)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Errorf("customer %d not found", id))
		return
	}
	writeJSON(w, http.StatusOK, CustomerOrders{CustomerID: id, Orders: orders})
}

// loadCustomerOrders is the hot path: the mode decides how many queries it
// issues. ok is false when the customer does not exist.
func (s *Server) loadCustomerOrders(customerID int) (orders []Order, ok bool) {
	cfg := s.config.Load()
	if cfg.mode == ModeNPlus1 {
		rows, ok := s.db.queryOrdersByCustomer(customerID)
		if !ok {
			return nil, false
		}
		// The N+1 pattern: one items query per order. The loop stays in
		// this function, which both modes run, so a profile diff of the
		// modes shows the per-query function itself as the code that came
		// and went.
		orders := make([]Order, len(rows))
		for i, row := range rows {
			orders[i] = row.withItems(s.db.queryItemsByOrder(row.ID))
		}
		return orders, true
	}
	if !cfg.cache {
		rows, ok := s.db.queryOrdersByCustomer(customerID)
		if !ok {
			return nil, false
		}
		return loadItemsBatched(s.db, rows), true
	}
	orders, gen, ok := s.cache.get(customerID)
	if ok {
		return orders, true
	}
	rows, ok := s.db.queryOrdersByCustomer(customerID)
	if !ok {
		return nil, false
	}
	orders = loadItemsBatched(s.db, rows)
	s.cache.put(customerID, orders, gen)
	return orders, true
}

// loadItemsBatched loads every order's items with a single query.
func loadItemsBatched(db *DB, rows []orderRow) []Order {
	ids := make([]int, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
	}
	items := db.queryItemsByOrderIDs(ids)
	orders := make([]Order, len(rows))
	for i, row := range rows {
		orders[i] = row.withItems(items[i])
	}
	return orders
}

// setModeHandler serves POST /admin/mode?m=n+1|batched[&cache=true].
func (s *Server) setModeHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("m")
	// Query decoding turns the "+" of an unescaped "m=n+1" into a space.
	if name == "n 1" {
		name = "n+1"
	}
	m, err := ParseMode(name)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("parameter m: %w", err))
		return
	}
	cache := false
	if v := q.Get("cache"); v != "" {
		if cache, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("parameter cache: %q is not a boolean", v))
			return
		}
	}
	s.SetMode(m, cache)
	cfg := s.config.Load()
	writeJSON(w, http.StatusOK, ModeResponse{Mode: cfg.mode.String(), Cache: cfg.cache})
}

// pathID parses the {id} path value as a positive integer.
func pathID(r *http.Request) (int, error) {
	raw := r.PathValue("id")
	id, err := strconv.Atoi(raw)
	if err != nil || id <= 0 || strings.HasPrefix(raw, "+") {
		return 0, fmt.Errorf("id: %q is not a positive integer", raw)
	}
	return id, nil
}

// writeJSON encodes v as the response. An encoding error after the header is
// sent cannot be reported to the client, and every type encoded here
// marshals without error, so a failure means the client went away.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, errorResponse{Error: err.Error()})
}
