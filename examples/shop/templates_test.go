package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWhenShowsTheZone: every time on a page names its zone.
func TestWhenShowsTheZone(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		require.NoError(t, err)
		return loc
	}
	at := time.Date(2026, 12, 1, 14, 8, 0, 0, time.UTC)
	tests := []struct {
		loc  *time.Location
		want string
	}{
		{time.UTC, "1 Dec 2026, 14:08 UTC"},
		{load("Asia/Dubai"), "1 Dec 2026, 18:08 UTC+4"},
		{load("Europe/Paris"), "1 Dec 2026, 15:08 CET"},
		{time.FixedZone("", 5*3600+45*60), "1 Dec 2026, 19:53 UTC+5:45"},
		{time.FixedZone("-03", -3*3600), "1 Dec 2026, 11:08 UTC-3"},
		{time.FixedZone("", 0), "1 Dec 2026, 14:08 UTC"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, when(at, tt.loc), tt.loc.String())
	}
}
