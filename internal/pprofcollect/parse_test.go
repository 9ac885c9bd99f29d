package pprofcollect

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"testing"
)

func smallProfile() []byte {
	p := fakeProfile([]string{"samples/count", "cpu/nanoseconds"},
		fakeSample{[]string{"main.leaf", "main.main"}, []int64{3, 30_000_000}},
	)
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func uncompressed(t testing.TB, gzData []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gzData))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return raw
}

// bomb is a gzip stream that inflates to n zero bytes.
func bomb(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 64<<10)
	for written := 0; written < n; written += len(zeros) {
		if _, err := zw.Write(zeros[:min(len(zeros), n-written)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipOf(t testing.TB, raw []byte) []byte {
	t.Helper()
	out, err := gzipBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParse(t *testing.T) {
	valid := smallProfile()
	lim := Limits{MaxDownload: 64 << 10, MaxDecompressed: 256 << 10}
	tests := []struct {
		name string
		data []byte
		want error // nil, ErrOversize or ErrInvalid
	}{
		{"gzipped", valid, nil},
		{"uncompressed", uncompressed(t, valid), nil},
		{"empty", nil, ErrInvalid},
		{"garbage", []byte("\x00\x01garbage that is no protobuf \xff\xfe"), ErrInvalid},
		{"html", []byte("<!DOCTYPE html><html><body>login</body></html>"), ErrInvalid},
		{"truncated gzip", valid[:len(valid)/2], ErrInvalid},
		{"gzip header only", valid[:10], ErrInvalid},
		{"bomb over the inflate cap", bomb(t, 1<<20), ErrOversize},
		{"gzip in gzip", gzipOf(t, valid), ErrInvalid},
		{"download over the cap", append(bytes.Repeat([]byte{0}, 64<<10), 1), ErrOversize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.data, lim)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("got error %v, want a profile", err)
			case tt.want == nil && len(p.Sample) != 1:
				t.Errorf("got %d samples, want 1", len(p.Sample))
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("got error %v, want %v", err, tt.want)
			case tt.want != nil && p != nil:
				t.Errorf("got a profile with error %v", err)
			}
		})
	}
}

// FuzzParse holds the bounded reader's promises on any input: no panic,
// every failure classified, and a gzip stream that inflates past the cap
// reported as oversize rather than parsed.
func FuzzParse(f *testing.F) {
	valid := smallProfile()
	f.Add(valid)
	f.Add(uncompressed(f, valid))
	f.Add([]byte("not a profile"))
	f.Add(valid[:len(valid)/2])
	f.Add(bomb(f, 512<<10))
	f.Add(gzipOf(f, valid))
	f.Add([]byte{})
	lim := Limits{MaxDownload: 1 << 20, MaxDecompressed: 256 << 10}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, lim)
		if err == nil {
			if p == nil {
				t.Fatal("got no profile and no error")
			}
			return
		}
		if !errors.Is(err, ErrOversize) && !errors.Is(err, ErrInvalid) {
			t.Fatalf("got unclassified error %v", err)
		}
		if !bytes.HasPrefix(data, gzipMagic) {
			return
		}
		zr, zerr := gzip.NewReader(bytes.NewReader(data))
		if zerr != nil {
			return
		}
		n, rerr := io.Copy(io.Discard, io.LimitReader(zr, lim.MaxDecompressed+1))
		if n > lim.MaxDecompressed && rerr == nil && !errors.Is(err, ErrOversize) {
			t.Fatalf("inflates past %d bytes but got %v, want oversize", lim.MaxDecompressed, err)
		}
	})
}
