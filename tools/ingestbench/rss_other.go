//go:build !unix

package main

import "os"

// maxRSSKiB reports 0: peak RSS of a child is only measured on Unix.
func maxRSSKiB(*os.ProcessState) int64 { return 0 }
