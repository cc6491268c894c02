package demo

import (
	"math/rand/v2"
)

const (
	hexDigits  = "0123456789abcdef"
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" // IAM unique IDs and keys use base32-like characters
)

func hexID(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[r.IntN(16)]
	}
	return string(b)
}

func upperID(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = upperAlnum[r.IntN(32)]
	}
	return string(b)
}

// keyChars spells n base32 characters of v (n ≤ 12), then more from a
// second mix when longer.
func keyChars(v uint64, n int) string {
	b := make([]byte, n)
	w := mix64(v, 1)
	for i := range b {
		if i == 12 {
			v = w
		}
		b[i] = upperAlnum[v&31]
		v >>= 5
	}
	return string(b)
}

// mix64 is splitmix64's finaliser of seed and i: a bijection of i for a
// given seed. It derives the per-file random streams and identifiers.
func mix64(seed, i uint64) uint64 {
	z := seed + (i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// appendUUID appends a version 4 UUID made of the bits of hi and lo.
func appendUUID(b []byte, hi, lo uint64) []byte {
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(0xc<<60) | 0x8<<60
	b = appendHex(b, hi>>32, 8)
	b = append(b, '-')
	b = appendHex(b, hi>>16&0xffff, 4)
	b = append(b, '-')
	b = appendHex(b, hi&0xffff, 4)
	b = append(b, '-')
	b = appendHex(b, lo>>48, 4)
	b = append(b, '-')
	return appendHex(b, lo&(1<<48-1), 12)
}

func appendHex(b []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, hexDigits[v>>(4*uint(i))&0xf])
	}
	return b
}

// User agents. The engineers' browsers and command lines are what their
// machines would send; the attackers' are what the tools they use send.
const (
	uaChromeMac    = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
	uaChromeWin    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
	uaSafariMac    = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"
	uaFirefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
	uaFirefoxWin   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"
	cliMac         = "aws-cli/2.18.10 md/awscrt#0.22.0 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#"
	cliLinux       = "aws-cli/2.18.10 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-48-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#"
	cliWin         = "aws-cli/2.18.10 md/awscrt#0.22.0 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#"
	cliCI          = "aws-cli/2.17.56 md/awscrt#0.21.5 ua/2.0 os/linux#5.15.0-1071-aws md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython exec-env/github-actions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#"
	uaSSMAgent     = "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/"
	uaSDKApp       = "aws-sdk-java/2.28.16 Linux/6.1.112-124.190.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy"
	uaBoto3Batch   = "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.1.112-124.190.amzn2023.x86_64 md/arch#x86_64 lang/python#3.9.20 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36"
	uaKali         = "aws-cli/1.22.34 Python/3.11.9 Linux/6.8.11-amd64-kali botocore/1.23.34"
	uaExfil        = "aws-cli/1.22.34 Python/3.10.12 Linux/5.15.0-91-generic botocore/1.23.34"
	uaConsole      = "AWS Internal"
)
