package store

import (
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// zstdCodec compresses lake pages with one shared zstd encoder, whose
// EncodeAll is safe for concurrent use. parquet-go's own codec keeps its
// encoders in a pool that the garbage collector empties, and makes a new
// encoder (with its history buffers) after each collection.
type zstdCodec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

func newZstdCodec(opts ...zstd.EOption) *zstdCodec {
	opts = append([]zstd.EOption{
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(4),
		zstd.WithZeroFrames(true),
		zstd.WithEncoderCRC(false),
	}, opts...)
	enc, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		panic(err) // the options are constant
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(2))
	if err != nil {
		panic(err)
	}
	return &zstdCodec{enc: enc, dec: dec}
}

func (c *zstdCodec) String() string                            { return "ZSTD" }
func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	return c.enc.EncodeAll(src, dst[:0]), nil
}

func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	return c.dec.DecodeAll(src, dst[:0])
}
