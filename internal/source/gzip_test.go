package source

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
)

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecompress(t *testing.T) {
	long := strings.Repeat("2 123456789012 eni-0a1b2c3d 10.0.0.1 10.0.0.2 443 49152 6 10 840 1620000000 1620000060 ACCEPT OK\n", 2000)
	member := gz(t, long)
	tests := []struct {
		name     string
		in       []byte
		wantGzip bool
		want     string
		wantErr  error // from Read; nil means a clean EOF
	}{
		{name: "gzip", in: gz(t, "version account-id\n2 123\n"), wantGzip: true, want: "version account-id\n2 123\n"},
		{name: "gzip large", in: member, wantGzip: true, want: long},
		{name: "multistream", in: append(gz(t, "first\n"), gz(t, "second\n")...), wantGzip: true, want: "first\nsecond\n"},
		{name: "plain text", in: []byte("version account-id\n"), want: "version account-id\n"},
		{name: "one byte", in: []byte{0x1f}, want: "\x1f"},
		{name: "empty", in: nil, want: ""},
		{name: "truncated body", in: member[:len(member)/2], wantGzip: true, wantErr: io.ErrUnexpectedEOF},
		{name: "truncated trailer", in: member[:len(member)-4], wantGzip: true, wantErr: io.ErrUnexpectedEOF},
		{name: "magic only", in: []byte{0x1f, 0x8b}, wantGzip: true, wantErr: io.ErrUnexpectedEOF},
		{name: "truncated header", in: member[:6], wantGzip: true, wantErr: io.ErrUnexpectedEOF},
		{name: "bad checksum", in: corruptCRC(gz(t, "hello\n")), wantGzip: true, wantErr: gzip.ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// OneByteReader makes sniffing cope with short reads.
			rc, isGzip, err := Decompress(iotest.OneByteReader(bytes.NewReader(tt.in)))
			if err != nil {
				t.Fatalf("Decompress() error = %v", err)
			}
			defer rc.Close()
			if isGzip != tt.wantGzip {
				t.Errorf("Decompress() gzip = %v; want %v", isGzip, tt.wantGzip)
			}
			got, err := io.ReadAll(rc)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ReadAll() error = %v; want %v", err, tt.wantErr)
				}
				// The error sticks: a decoder retrying Read must not
				// see a clean EOF.
				if _, err2 := rc.Read(make([]byte, 1)); !errors.Is(err2, tt.wantErr) {
					t.Errorf("Read after error = %v; want %v", err2, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadAll() error = %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("ReadAll() = %d bytes %.40q; want %d bytes %.40q", len(got), got, len(tt.want), tt.want)
			}
		})
	}
}

func corruptCRC(b []byte) []byte {
	b = bytes.Clone(b)
	b[len(b)-8] ^= 0xff
	return b
}

func TestDecompressSourceError(t *testing.T) {
	boom := errors.New("boom")
	if _, _, err := Decompress(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("Decompress(failing reader) error = %v; want %v", err, boom)
	}
}

func FuzzDecompress(f *testing.F) {
	f.Add(gz(f, "2 123456789012 eni-1 - - - - - - - 1 2 - NODATA\n"))
	f.Add(append(gz(f, "a"), gz(f, "b")...))
	f.Add([]byte("plain"))
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		rc, _, err := Decompress(bytes.NewReader(in))
		if err != nil {
			t.Fatalf("Decompress() error = %v", err)
		}
		// Bound the output: a tiny input may legitimately inflate a lot.
		_, _ = io.Copy(io.Discard, io.LimitReader(rc, 64<<20))
		_ = rc.Close()
	})
}
