package geoip

import (
	"net/netip"
	"sync"
)

const (
	cacheShardBits = 4
	cacheShards    = 1 << cacheShardBits // spreads lock contention across cores
	cacheShardSize = 512                 // entries per generation per shard
)

// cache is a bounded, concurrency-safe map from address to Info. Log records
// name the same few addresses over and over, so even a small cache answers
// most lookups without decoding a MaxMind record.
//
// Each shard keeps two generations: when the current one fills, it becomes
// the old one and the previous old one is dropped; a hit in the old
// generation moves the entry to the current one. That approximates LRU at
// the cost of one map per generation and no per-entry bookkeeping, and holds
// at most 2 × cacheShards × cacheShardSize entries.
type cache struct {
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu       sync.Mutex
	cur, old map[netip.Addr]Info
	_        [64]byte // keep shards' locks on separate cache lines
}

func shardOf(a netip.Addr) int {
	b := a.As16()
	h := beUint64(b[:8]) ^ beUint64(b[8:])
	return int((h * 0x9e3779b97f4a7c15) >> (64 - cacheShardBits))
}

func (c *cache) get(a netip.Addr) (Info, bool) {
	s := &c.shards[shardOf(a)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.cur[a]; ok {
		return v, true
	}
	if v, ok := s.old[a]; ok {
		delete(s.old, a)
		s.putLocked(a, v)
		return v, true
	}
	return Info{}, false
}

func (c *cache) put(a netip.Addr, v Info) {
	s := &c.shards[shardOf(a)]
	s.mu.Lock()
	s.putLocked(a, v)
	s.mu.Unlock()
}

func (s *cacheShard) putLocked(a netip.Addr, v Info) {
	if s.cur == nil || len(s.cur) >= cacheShardSize {
		s.old = s.cur
		s.cur = make(map[netip.Addr]Info, cacheShardSize)
	}
	s.cur[a] = v
}

// len returns the number of entries held, for tests.
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.cur) + len(s.old)
		s.mu.Unlock()
	}
	return n
}
