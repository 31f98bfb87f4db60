package activities

import "testing"

func TestShareOf(t *testing.T) {
	cases := []struct {
		name                    string
		maxConns, rank, workers int
		want                    int
	}{
		{"single worker gets all", 8, 0, 1, 8},
		{"even split", 8, 1, 2, 4},
		{"remainder to first rank", 10, 0, 3, 4},
		{"remainder not to middle rank", 10, 1, 3, 3},
		{"remainder not to last rank", 10, 2, 3, 3},
		{"two extra first", 11, 1, 3, 4},
		{"two extra last", 11, 2, 3, 3},
		{"as many workers as conns", 4, 3, 4, 1},
		{"more workers than conns gets one", 4, 2, 6, 1},
		{"more workers than conns rank beyond", 4, 5, 6, 1},
		{"zero workers counts as one", 5, 0, 0, 5},
		{"zero max still one", 0, 0, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := shareOf(c.maxConns, c.rank, c.workers); got != c.want {
				t.Errorf("shareOf(%d, rank %d, %d workers) = %d, want %d", c.maxConns, c.rank, c.workers, got, c.want)
			}
		})
	}
}

func TestShareOfSumsToMax(t *testing.T) {
	for maxConns := 1; maxConns <= 20; maxConns++ {
		for workers := 1; workers <= maxConns; workers++ {
			sum := 0
			for rank := range workers {
				sum += shareOf(maxConns, rank, workers)
			}
			if sum != maxConns {
				t.Errorf("shares of %d connections among %d workers sum to %d", maxConns, workers, sum)
			}
		}
	}
}
