package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Bounds on what decoding a plan may cost. Aliases let a small file name
// the same large value many times, so the walk counts the bytes it visits
// (each use of an alias again) rather than trusting the file size.
const (
	maxExpandedBytes = 64 << 20  // scalar bytes and nodes visited while decoding
	maxBodyTotal     = 256 << 20 // body_file contents across all endpoints
	maxMergeDepth    = 8         // nested "<<" merge keys
	nodeCost         = 16        // budget charged per node on top of its text
)

// Known keys, for unknown-field errors and their suggestions.
var (
	planKeys = []string{
		"name", "vus", "duration", "rate", "stages", "max_vus", "warmup", "graceful_stop", "timeout",
		"think_time", "no_keepalive", "http2", "insecure", "max_body_bytes", "dns_ttl", "proxy", "url", "method",
		"headers", "body", "body_file", "endpoints", "thresholds", "gates", "profile",
	}
	profileKeys  = []string{"url", "headers", "chunk", "insecure"}
	endpointKeys = []string{"name", "method", "url", "headers", "body", "body_file", "weight"}
	stageKeys    = []string{"duration", "target"}
	headerKeys   = []string{"name", "value", "secret"}
)

// Load reads the plan file at path (at most MaxPlanBytes) and parses it.
// body_file paths in it are relative to its directory.
func Load(path string) (*Plan, error) {
	data, err := readFileLimited(path, MaxPlanBytes)
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes a YAML plan and validates it as SetDefaults would complete
// it. name is the file's path: it prefixes every message and locates
// body_file paths. Every problem is reported at once, joined with
// errors.Join, each a *Problem printed as "name:LINE: message".
//
// The plan is returned as written, without defaults, so that flags can be
// laid over it before SetDefaults derives values from the result (max_vus
// from the final rate, vus from the final model). Call SetDefaults and
// Validate after changing it, as for any plan.
//
// Top-level url, method, headers, body and body_file are shorthand for a
// plan's only endpoint; endpoints lists several. headers is a map
// {Name: value} or a list of {name, value, secret}. Top-level keys starting
// with "x-" are ignored, to hold YAML anchors, and "<<" merge keys work.
func Parse(name string, data []byte) (*Plan, error) {
	return parse(name, data, readFileLimited)
}

// readFunc reads a body file of at most limit bytes; tests substitute it.
type readFunc func(path string, limit int64) ([]byte, error)

func parse(name string, data []byte, read readFunc) (*Plan, error) {
	if len(data) > MaxPlanBytes {
		return nil, &Problem{File: name, Msg: fmt.Sprintf("larger than %s", formatBytes(MaxPlanBytes))}
	}
	d := &decoder{
		dir:    filepath.Dir(name),
		read:   read,
		lines:  map[string]int{},
		failed: map[string]bool{},
		zeros:  map[string]bool{},
		budget: maxExpandedBytes,
		bodies: map[string][]byte{},
	}
	p := d.document(data)
	if p != nil && !d.exhausted {
		// SetDefaults cannot tell a zero written in the file from an absent
		// key, so validate once before it for the zeros the file wrote
		// ("weight: 0" must not quietly become 1), then once after.
		reported := map[string]bool{}
		for _, prob := range p.problems() {
			if d.zeros[prob.Field] {
				d.add(prob)
				reported[prob.Field] = true
			}
		}
		defaulted := p.clone()
		defaulted.SetDefaults()
		for _, prob := range defaulted.problems() {
			if !reported[prob.Field] {
				d.add(prob)
			}
		}
	}
	if len(d.probs) == 0 {
		return p, nil
	}
	// Problems without a line concern the whole plan; they read best last.
	slices.SortStableFunc(d.probs, func(a, b *Problem) int {
		return lineKey(a.Line) - lineKey(b.Line)
	})
	for _, prob := range d.probs {
		prob.File = name
	}
	return nil, joinProblems(d.probs)
}

func lineKey(line int) int {
	if line == 0 {
		return math.MaxInt32
	}
	return line
}

type decoder struct {
	dir  string
	read readFunc

	probs  []*Problem
	lines  map[string]int  // field path -> line of its key (or list item)
	failed map[string]bool // fields whose values could not be decoded
	zeros  map[string]bool // numeric fields the file set to 0

	budget    int64 // left of maxExpandedBytes
	exhausted bool

	bodies    map[string][]byte // body files read so far, by resolved path
	bodyBytes int64
}

// loc names a field twice: by path, for lines and failures, and by label,
// for messages (a top-level url is field "endpoints[0].url", label "url").
type loc struct{ field, label string }

func (l loc) key(name string) loc {
	field, label := name, name
	if l.field != "" {
		field = l.field + "." + name
	}
	if l.label != "" {
		label = l.label + ": " + name
	}
	return loc{field, label}
}

func (l loc) index(i int) loc {
	s := "[" + strconv.Itoa(i) + "]"
	return loc{l.field + s, l.label + s}
}

// errorf records a decode problem for l at line and marks the field failed.
func (d *decoder) errorf(l loc, line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if l.label != "" {
		msg = l.label + ": " + msg
	}
	d.probs = append(d.probs, &Problem{Line: line, Field: l.field, Msg: msg})
	if l.field != "" {
		d.failed[l.field] = true
	}
}

// spend charges the expansion budget and reports whether decoding may go
// on. The first overdraft records one problem; the walk then unwinds.
func (d *decoder) spend(n int) bool {
	if d.exhausted {
		return false
	}
	d.budget -= int64(n) + nodeCost
	if d.budget < 0 {
		d.exhausted = true
		d.probs = append(d.probs, &Problem{Msg: fmt.Sprintf("expands to more than %s through aliases and merges", formatBytes(maxExpandedBytes))})
		return false
	}
	return true
}

// add records a validation problem unless a decode error explains it.
func (d *decoder) add(p *Problem) {
	if !d.explained(p) {
		p.Line = d.lineOf(p.Field)
		d.probs = append(d.probs, p)
	}
}

// explained reports whether a validation problem follows from a field
// that failed to decode: the problem's field (or a dep) is that field, lies
// inside it, or contains it ("stages" when "stages[0].target" is missing).
func (d *decoder) explained(p *Problem) bool {
	for failed := range d.failed {
		for _, f := range append([]string{p.Field}, p.deps...) {
			if f == failed || within(f, failed) || within(failed, f) {
				return true
			}
		}
	}
	return false
}

// within reports whether field path f lies inside path parent.
func within(f, parent string) bool {
	return len(f) > len(parent) && strings.HasPrefix(f, parent) && (f[len(parent)] == '.' || f[len(parent)] == '[')
}

// lineOf finds the line of a field, or of its nearest ancestor with one.
func (d *decoder) lineOf(field string) int {
	for ; field != ""; field = parentField(field) {
		if line, ok := d.lines[field]; ok {
			return line
		}
	}
	return 0
}

// parentField drops the last element of a path: "a[1].b" -> "a[1]" -> "a".
func parentField(f string) string {
	if i := strings.LastIndexAny(f, ".["); i >= 0 {
		return f[:i]
	}
	return ""
}

var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml error into a problem, keeping its line.
func (d *decoder) syntaxError(err error) {
	msg := err.Error()
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		if line, err := strconv.Atoi(m[1]); err == nil {
			d.probs = append(d.probs, &Problem{Line: line, Msg: "invalid YAML: " + m[2]})
			return
		}
	}
	d.probs = append(d.probs, &Problem{Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")})
}

// document decodes the single YAML document of a plan file. It returns nil
// when there is no plan to validate.
func (d *decoder) document(data []byte) *Plan {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		d.probs = append(d.probs, &Problem{Msg: "empty plan: want keys such as url, vus and duration"})
		return nil
	case err != nil:
		d.syntaxError(err)
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.probs = append(d.probs, &Problem{Line: extra.Line, Msg: "a plan file holds one YAML document; found a second"})
		return nil
	case !errors.Is(err, io.EOF):
		d.syntaxError(err)
		return nil
	}

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	root = resolve(root)
	if isNull(root) {
		d.probs = append(d.probs, &Problem{Line: root.Line, Msg: "empty plan: want keys such as url, vus and duration"})
		return nil
	}
	if root.Kind != yaml.MappingNode {
		d.probs = append(d.probs, &Problem{Line: root.Line, Msg: "a plan is a mapping of keys such as url, vus and duration, got " + describe(root)})
		return nil
	}
	return d.plan(root)
}

func (d *decoder) plan(root *yaml.Node) *Plan {
	p := &Plan{}
	top := loc{}
	var shorthand []pair
	var endpoints *pair
	for _, kv := range d.pairs(top, root) {
		key := kv.key.Value
		l := top.key(key)
		d.lines[l.field] = kv.key.Line
		switch key {
		case "name":
			p.Name = d.str(l, kv.value)
		case "vus":
			p.VUs = int(d.int(l, kv.value))
		case "duration":
			p.Duration = d.duration(l, kv.value)
		case "rate":
			p.Rate = d.float(l, kv.value)
			p.OpenModel = !isNull(resolve(kv.value))
		case "stages":
			p.Stages = d.stages(l, kv.value)
		case "max_vus":
			p.MaxVUs = int(d.int(l, kv.value))
		case "warmup":
			p.Warmup = d.duration(l, kv.value)
		case "graceful_stop":
			if p.GracefulStop = d.duration(l, kv.value); d.zeros[l.field] {
				d.errorf(l, kv.key.Line, "0 would mean the default (%s); for almost no grace period use e.g. 1ms", formatDuration(DefaultGracefulStop))
			}
		case "timeout":
			p.Timeout = d.duration(l, kv.value)
		case "think_time":
			p.ThinkTime = d.duration(l, kv.value)
		case "no_keepalive":
			p.NoKeepAlive = d.bool(l, kv.value)
		case "http2":
			p.HTTP2 = d.bool(l, kv.value)
		case "insecure":
			p.Insecure = d.bool(l, kv.value)
		case "max_body_bytes":
			p.MaxBodyBytes = d.int(l, kv.value)
		case "dns_ttl":
			p.DNSTTL = d.dnsTTL(l, kv.value)
		case "proxy":
			p.Proxy = d.str(l, kv.value)
		case "url", "method", "headers", "body", "body_file":
			shorthand = append(shorthand, kv)
		case "endpoints":
			endpoints = &kv
		case "thresholds":
			p.Thresholds = d.strings(l, kv.value, MaxThresholds)
		case "gates":
			p.Gates = d.strings(l, kv.value, MaxThresholds)
		case "profile":
			p.Profile = d.profile(l, kv.value)
		default:
			if !strings.HasPrefix(key, "x-") {
				d.unknown(top, kv.key, planKeys)
			}
		}
		if d.exhausted {
			return p
		}
	}

	switch {
	case len(shorthand) > 0 && endpoints != nil:
		first := shorthand[0].key
		d.errorf(top.key(first.Value), first.Line,
			"top-level url, method, headers, body and body_file describe a single endpoint; with endpoints, put them inside each endpoint")
		p.Endpoints = d.endpoints(top.key("endpoints"), endpoints.value)
	case len(shorthand) > 0:
		e := Endpoint{}
		l := loc{field: "endpoints[0]"}
		d.lines[l.field] = shorthand[0].key.Line
		d.endpointFields(&e, l, shorthand)
		p.Endpoints = []Endpoint{e}
	case endpoints != nil:
		p.Endpoints = d.endpoints(top.key("endpoints"), endpoints.value)
	}
	return p
}

type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's keys and values in order, applying "<<" merge
// keys (the mapping's own keys win, then earlier merges) and reporting
// duplicate and non-scalar keys.
func (d *decoder) pairs(l loc, m *yaml.Node) []pair {
	var out []pair
	d.collect(l, m, map[string]bool{}, &out, 0)
	return out
}

func (d *decoder) collect(l loc, m *yaml.Node, seen map[string]bool, out *[]pair, depth int) {
	if !d.spend(len(m.Content)) {
		return
	}
	var merges []*yaml.Node
	own := map[string]int{} // key -> line, in this mapping alone
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolve(m.Content[i]), m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(l, k.Line, "keys must be plain names, got %s", describe(k))
			continue
		}
		if !d.spend(len(k.Value)) {
			return
		}
		if first, dup := own[k.Value]; dup {
			// A merge source's own duplicates are reported where it is decoded.
			if depth == 0 {
				d.errorf(l.key(k.Value), k.Line, "duplicate field %q (first at line %d)", k.Value, first)
			}
			continue
		}
		own[k.Value] = k.Line
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if _, set := seen[k.Value]; set {
			continue // the mapping itself or an earlier merge source set it
		}
		seen[k.Value] = true
		*out = append(*out, pair{k, v})
	}
	for _, v := range merges {
		if depth >= maxMergeDepth {
			d.errorf(l, v.Line, "merges (<<) nested more than %d deep", maxMergeDepth)
			return
		}
		src := resolve(v)
		switch src.Kind {
		case yaml.MappingNode:
			d.collect(l, src, seen, out, depth+1)
		case yaml.SequenceNode:
			for _, item := range src.Content {
				if item = resolve(item); item.Kind != yaml.MappingNode {
					d.errorf(l, item.Line, "<<: want a mapping or a list of mappings to merge, got a list holding %s", describe(item))
					continue
				}
				d.collect(l, item, seen, out, depth+1)
			}
		default:
			d.errorf(l, v.Line, "<<: want a mapping or a list of mappings to merge, got %s", describe(src))
		}
	}
}

// unknown reports a key that the mapping at l does not have.
func (d *decoder) unknown(l loc, k *yaml.Node, known []string) {
	msg := fmt.Sprintf("unknown field %q", k.Value)
	if s := suggest(k.Value, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	if l.label != "" {
		msg = l.label + ": " + msg
	}
	d.probs = append(d.probs, &Problem{Line: k.Line, Field: l.field, Msg: msg})
}

// suggest returns the known key closest to s, if it is close enough to be
// a typo.
func suggest(s string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(s, k); dist < bestDist && dist <= len(k)/2 {
			best, bestDist = k, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance, giving up (returning a large
// value) for long inputs, which are never typos of a short key.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt32
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// resolve follows an alias to the node it names. Anchors are only ever set
// on non-alias nodes, so one step suffices.
func resolve(n *yaml.Node) *yaml.Node {
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what a node is, for "want X, got Y" messages. Scalars are
// quoted only when short, so a misplaced secret is not echoed at length.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if len(n.Value) > 40 {
			return "a long value"
		}
		return strconv.Quote(n.Value)
	}
	return "nothing"
}

// scalar resolves n and checks it is a non-null scalar. A null value
// leaves the field unset and is not an error.
func (d *decoder) scalar(l loc, n *yaml.Node, want string) (*yaml.Node, bool) {
	r := resolve(n)
	if isNull(r) {
		return nil, false
	}
	if r.Kind != yaml.ScalarNode {
		d.errorf(l, n.Line, "want %s, got %s", want, describe(r))
		return nil, false
	}
	return r, d.spend(len(r.Value))
}

func (d *decoder) str(l loc, n *yaml.Node) string {
	r, ok := d.scalar(l, n, "a string")
	if !ok {
		return ""
	}
	return r.Value
}

func (d *decoder) int(l loc, n *yaml.Node) int64 {
	const want = "a whole number"
	r, ok := d.scalar(l, n, want)
	if !ok {
		return 0
	}
	var v int64
	if r.ShortTag() != "!!int" || r.Decode(&v) != nil {
		d.errorf(l, n.Line, "want %s, got %s", want, describe(r))
		return 0
	}
	if v == 0 {
		d.zeros[l.field] = true
	}
	return v
}

func (d *decoder) float(l loc, n *yaml.Node) float64 {
	const want = "a number"
	r, ok := d.scalar(l, n, want)
	if !ok {
		return 0
	}
	var v float64
	if tag := r.ShortTag(); (tag != "!!int" && tag != "!!float") || r.Decode(&v) != nil {
		d.errorf(l, n.Line, "want %s, got %s", want, describe(r))
		return 0
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		d.errorf(l, n.Line, "want a finite number, got %s", describe(r))
		return 0
	}
	return v
}

func (d *decoder) bool(l loc, n *yaml.Node) bool {
	r, ok := d.scalar(l, n, "true or false")
	if !ok {
		return false
	}
	var v bool
	if r.ShortTag() != "!!bool" || r.Decode(&v) != nil {
		d.errorf(l, n.Line, "want true or false, got %s", describe(r))
		return false
	}
	return v
}

func (d *decoder) duration(l loc, n *yaml.Node) time.Duration {
	r, ok := d.scalar(l, n, "a duration such as 30s")
	if !ok {
		return 0
	}
	v, err := ParseDuration(r.Value)
	if err != nil {
		d.errorf(l, n.Line, "%v", err)
		return 0
	}
	if v == 0 {
		d.zeros[l.field] = true
	}
	return v
}

func (d *decoder) dnsTTL(l loc, n *yaml.Node) time.Duration {
	r, ok := d.scalar(l, n, "a duration such as 30s, or forever")
	if !ok {
		return 0
	}
	v, err := ParseDNSTTL(r.Value)
	if err != nil {
		d.errorf(l, n.Line, "%v", err)
		return 0
	}
	return v
}

// list resolves n and checks it is a list of at most limit items; nil
// means unset (null) or already reported.
func (d *decoder) list(l loc, n *yaml.Node, what string, limit int) []*yaml.Node {
	r := resolve(n)
	switch {
	case isNull(r):
		return nil
	case r.Kind != yaml.SequenceNode:
		d.errorf(l, n.Line, "want a list of %s, got %s", what, describe(r))
		return nil
	case len(r.Content) == 0:
		d.errorf(l, n.Line, "empty list: remove the key or add %s", what)
		return nil
	case len(r.Content) > limit:
		d.errorf(l, n.Line, "at most %d, got %d", limit, len(r.Content))
		return nil
	}
	if !d.spend(len(r.Content)) {
		return nil
	}
	return r.Content
}

func (d *decoder) strings(l loc, n *yaml.Node, limit int) []string {
	var out []string
	for i, item := range d.list(l, n, "strings", limit) {
		il := l.index(i)
		d.lines[il.field] = item.Line
		out = append(out, d.str(il, item))
	}
	return out
}

func (d *decoder) stages(l loc, n *yaml.Node) []Stage {
	items := d.list(l, n, "stages such as {duration: 30s, target: 50}", MaxStages)
	var out []Stage
	for i, item := range items {
		il := l.index(i)
		d.lines[il.field] = item.Line
		var s Stage
		if m := resolve(item); m.Kind != yaml.MappingNode {
			d.errorf(il, item.Line, "want a mapping such as {duration: 30s, target: 50}, got %s", describe(m))
		} else {
			var hasDuration, hasTarget bool
			for _, kv := range d.pairs(il, m) {
				kl := il.key(kv.key.Value)
				d.lines[kl.field] = kv.key.Line
				switch kv.key.Value {
				case "duration":
					s.Duration, hasDuration = d.duration(kl, kv.value), true
				case "target":
					s.Target, hasTarget = d.float(kl, kv.value), true
				default:
					d.unknown(il, kv.key, stageKeys)
				}
			}
			if !hasDuration {
				d.errorf(il.key("duration"), item.Line, "required, e.g. duration: 30s")
			}
			if !hasTarget {
				d.errorf(il.key("target"), item.Line, "required, e.g. target: 50")
			}
		}
		out = append(out, s)
		if d.exhausted {
			break
		}
	}
	return out
}

func (d *decoder) endpoints(l loc, n *yaml.Node) []Endpoint {
	items := d.list(l, n, "endpoints such as {url: http://127.0.0.1:8080/}", MaxEndpoints)
	var out []Endpoint
	for i, item := range items {
		il := l.index(i)
		d.lines[il.field] = item.Line
		var e Endpoint
		if m := resolve(item); m.Kind != yaml.MappingNode {
			d.errorf(il, item.Line, "want a mapping with url, method, headers, body or body_file, name and weight, got %s", describe(m))
		} else {
			var fields []pair
			for _, kv := range d.pairs(il, m) {
				if slices.Contains(endpointKeys, kv.key.Value) {
					fields = append(fields, kv)
				} else {
					d.unknown(il, kv.key, endpointKeys)
				}
			}
			d.endpointFields(&e, il, fields)
		}
		out = append(out, e)
		if d.exhausted {
			break
		}
	}
	return out
}

// endpointFields decodes the keys of one endpoint (in endpoints, or the
// top-level shorthand) and reads its body file.
func (d *decoder) endpointFields(e *Endpoint, l loc, fields []pair) {
	var body, bodyFile *yaml.Node
	for _, kv := range fields {
		kl := l.key(kv.key.Value)
		d.lines[kl.field] = kv.key.Line
		switch kv.key.Value {
		case "name":
			e.Name = d.str(kl, kv.value)
		case "method":
			e.Method = d.str(kl, kv.value)
		case "url":
			e.URL = d.str(kl, kv.value)
		case "headers":
			e.Headers = d.headers(kl, kv.value)
		case "body":
			e.Body = []byte(d.str(kl, kv.value))
			body = kv.key
		case "body_file":
			e.BodyFile = d.str(kl, kv.value)
			bodyFile = kv.key
		case "weight":
			e.Weight = int(d.int(kl, kv.value))
		}
	}
	switch {
	case body != nil && bodyFile != nil:
		d.errorf(l.key("body_file"), bodyFile.Line, "body is set too (line %d); keep one of them", body.Line)
	case e.BodyFile != "":
		e.Body = d.bodyFile(l.key("body_file"), bodyFile.Line, e.BodyFile)
	}
}

// bodyFile reads a body file relative to the plan's directory. Files are
// read once however many endpoints name them, and their total is bounded.
func (d *decoder) bodyFile(l loc, line int, name string) []byte {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(d.dir, path)
	}
	if data, ok := d.bodies[path]; ok {
		return data
	}
	data, err := d.read(path, MaxBodyFileBytes)
	if err != nil {
		d.errorf(l, line, "read %s: %v", path, err)
		return nil
	}
	d.bodyBytes += int64(len(data))
	if d.bodyBytes > maxBodyTotal {
		d.errorf(l, line, "body files total more than %s", formatBytes(maxBodyTotal))
		return nil
	}
	d.bodies[path] = data
	return data
}

// headers decodes a map {Name: value} or a list whose items are
// {name, value, secret} or "Name: value" strings.
func (d *decoder) headers(l loc, n *yaml.Node) []Header {
	r := resolve(n)
	var out []Header
	switch {
	case isNull(r):
		return nil
	case r.Kind == yaml.MappingNode:
		for i, kv := range d.pairs(l, r) {
			il := l.index(i)
			d.lines[il.field] = kv.key.Line
			out = append(out, Header{Name: kv.key.Value, Value: d.str(il, kv.value)})
		}
		return out
	case r.Kind != yaml.SequenceNode:
		d.errorf(l, n.Line, "want a map {Name: value} or a list of {name, value, secret}, got %s", describe(r))
		return nil
	}
	for i, item := range d.list(l, r, "headers", math.MaxInt) {
		il := l.index(i)
		d.lines[il.field] = item.Line
		var h Header
		switch m := resolve(item); m.Kind {
		case yaml.ScalarNode:
			parsed, err := ParseHeader(d.str(il, item))
			if err != nil {
				d.errorf(il, item.Line, "%v", err)
			}
			h = parsed
		case yaml.MappingNode:
			hasName := false
			for _, kv := range d.pairs(il, m) {
				kl := il.key(kv.key.Value)
				switch kv.key.Value {
				case "name":
					h.Name, hasName = d.str(kl, kv.value), true
				case "value":
					h.Value = d.str(kl, kv.value)
				case "secret":
					h.Secret = d.bool(kl, kv.value)
				default:
					d.unknown(il, kv.key, headerKeys)
				}
			}
			if !hasName {
				// Fail the whole header: Validate would add that "" is no name.
				d.errorf(loc{il.field, il.key("name").label}, item.Line, "required")
			}
		default:
			d.errorf(il, item.Line, "want {name, value, secret} or \"Name: value\", got %s", describe(m))
		}
		out = append(out, h)
		if d.exhausted {
			break
		}
	}
	return out
}

// profile reads `profile: URL` or `profile: {url, headers, chunk, insecure}`.
func (d *decoder) profile(l loc, n *yaml.Node) *Profile {
	r := resolve(n)
	switch {
	case isNull(r):
		return nil
	case r.Kind == yaml.ScalarNode:
		return &Profile{URL: d.str(l, n)}
	case r.Kind != yaml.MappingNode:
		d.errorf(l, n.Line, "want a URL or a map {url, headers, chunk, insecure}, got %s", describe(r))
		return nil
	}
	p := &Profile{}
	for _, kv := range d.pairs(l, r) {
		kl := l.key(kv.key.Value)
		d.lines[kl.field] = kv.key.Line
		switch kv.key.Value {
		case "url":
			p.URL = d.str(kl, kv.value)
		case "headers":
			p.Headers = d.headers(kl, kv.value)
		case "chunk":
			p.Chunk = d.duration(kl, kv.value)
		case "insecure":
			p.Insecure = d.bool(kl, kv.value)
		default:
			d.unknown(l, kv.key, profileKeys)
		}
	}
	return p
}
