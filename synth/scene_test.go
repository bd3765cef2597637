package synth

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// heightRatio draws one vehicle of class on a black canvas and returns its
// painted height over its painted length.
func heightRatio(t *testing.T, class string, seed uint64) float64 {
	c := &canvas{w: 200, h: 200, pix: make([]byte, 200*200*3)}
	v := vehicle{c: c, x0: 20, ground: 190, length: 160}
	rng := rand.New(rand.NewPCG(seed, 0))
	if class == Car {
		v.car(rng)
	} else {
		v.truck(rng)
	}
	minX, maxX, minY, maxY := c.w, -1, c.h, -1
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			i := (y*c.w + x) * 3
			if c.pix[i]|c.pix[i+1]|c.pix[i+2] != 0 {
				minX, maxX = min(minX, x), max(maxX, x)
				minY, maxY = min(minY, y), max(maxY, y)
			}
		}
	}
	require.GreaterOrEqual(t, maxX, minX, "%s drew nothing", class)
	return float64(maxY-minY+1) / float64(maxX-minX+1)
}

func TestTrucksAreTallerThanCars(t *testing.T) {
	tallestCar, lowestTruck := 0.0, 1e9
	for seed := uint64(0); seed < 50; seed++ {
		tallestCar = max(tallestCar, heightRatio(t, Car, seed))
		lowestTruck = min(lowestTruck, heightRatio(t, Truck, seed))
	}
	t.Logf("tallest car %.3f, lowest truck %.3f (height / length)", tallestCar, lowestTruck)
	require.Less(t, tallestCar, 0.53)
	require.Greater(t, lowestTruck, 0.55)
}

func TestMirror(t *testing.T) {
	c := &canvas{w: 3, h: 1, pix: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}}
	c.mirror()
	require.Equal(t, []byte{7, 8, 9, 4, 5, 6, 1, 2, 3}, c.pix)
}
