// Command chart draws the benchmark suite's latency chart (BENCHMARKS.md)
// from the JSON results of bench/load, with the standard library only:
//
//	go run ./bench/chart -o bench/latency.png /tmp/load-10k.json /tmp/load-100k.json /tmp/load-1M.json
//
// Two panels, p50 and p99 latency against the data set size (both axes
// logarithmic): one colour per scenario, GraphQL solid, the hand-written
// baseline dashed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"sort"
	"strconv"
)

// result is the part of bench/load's JSON the chart reads.
type result struct {
	Label       string `json:"label"`
	Customers   int    `json:"customers"`
	Concurrency int    `json:"concurrency"`
	Scenarios   []struct {
		Name     string `json:"name"`
		GraphQL  stats  `json:"graphql"`
		Baseline stats  `json:"baseline"`
	} `json:"scenarios"`
}

type stats struct {
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
}

var palette = []color.RGBA{{0xd6, 0x27, 0x28, 255}, {0x1f, 0x77, 0xb4, 255}, {0x2c, 0xa0, 0x2c, 255},
	{0x94, 0x67, 0xbd, 255}, {0xff, 0x7f, 0x0e, 255}, {0x8c, 0x56, 0x4b, 255}}

var (
	black = color.RGBA{0x20, 0x20, 0x20, 255}
	grey  = color.RGBA{0xdd, 0xdd, 0xdd, 255}
	white = color.RGBA{255, 255, 255, 255}
)

func main() {
	out := flag.String("o", "bench/latency.png", "the PNG to write")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: chart [-o FILE.png] RESULTS.json...")
		os.Exit(2)
	}
	var results []result
	for _, name := range flag.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			fail(err)
		}
		var r result
		if err := json.Unmarshal(b, &r); err != nil {
			fail(fmt.Errorf("%s: %w", name, err))
		}
		results = append(results, r)
	}
	sort.Slice(results, func(i, j int) bool { return results[i].Customers < results[j].Customers })
	img := render(results)
	f, err := os.Create(*out)
	if err != nil {
		fail(err)
	}
	if err := png.Encode(f, img); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "chart:", err)
	os.Exit(1)
}

// series is one line: a scenario on one side, at every data set.
type series struct {
	name    string
	col     color.RGBA
	dashed  bool
	x, p50s []float64
	p99s    []float64
}

func render(results []result) *image.RGBA {
	const w, h = 1400, 740
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)

	var names []string
	seen := map[string]bool{}
	for _, r := range results {
		for _, s := range r.Scenarios {
			if !seen[s.Name] {
				seen[s.Name] = true
				names = append(names, s.Name)
			}
		}
	}
	var all []series
	for i, name := range names {
		g := series{name: name + " graphql", col: palette[i%len(palette)]}
		b := series{name: name + " baseline", col: palette[i%len(palette)], dashed: true}
		for _, r := range results {
			for _, s := range r.Scenarios {
				if s.Name != name {
					continue
				}
				x := float64(r.Customers)
				g.x, g.p50s, g.p99s = append(g.x, x), append(g.p50s, s.GraphQL.P50Ms), append(g.p99s, s.GraphQL.P99Ms)
				b.x, b.p50s, b.p99s = append(b.x, x), append(b.p50s, s.Baseline.P50Ms), append(b.p99s, s.Baseline.P99Ms)
			}
		}
		all = append(all, g, b)
	}
	conc := 0
	if len(results) > 0 {
		conc = results[0].Concurrency
	}
	title := fmt.Sprintf("latency (ms) against data set size, %d connections", conc)
	drawText(img, (w-textWidth(title, 3))/2, 16, title, 3, black)

	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range all {
		for i := range s.x {
			xmin, xmax = math.Min(xmin, s.x[i]), math.Max(xmax, s.x[i])
			for _, v := range []float64{s.p50s[i], s.p99s[i]} {
				if v > 0 {
					ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
				}
			}
		}
	}
	if math.IsInf(xmin, 0) {
		return img
	}
	lx0, lx1 := math.Log10(xmin)-0.15, math.Log10(xmax)+0.15
	ly0, ly1 := math.Floor(math.Log10(ymin)), math.Ceil(math.Log10(ymax))
	if ly1 == ly0 {
		ly1++
	}
	panels := []struct {
		title string
		pick  func(series) []float64
		x0    int
	}{
		{"p50", func(s series) []float64 { return s.p50s }, 90},
		{"p99", func(s series) []float64 { return s.p99s }, 90 + 660},
	}
	const pw, ph, py = 560, 470, 100
	for _, p := range panels {
		px := p.x0
		toX := func(v float64) int { return px + int((math.Log10(v)-lx0)/(lx1-lx0)*pw) }
		toY := func(v float64) int { return py + ph - int((math.Log10(v)-ly0)/(ly1-ly0)*ph) }
		// Grid and axes: a line per decade of latency, one per data set.
		for d := ly0; d <= ly1; d++ {
			y := toY(math.Pow(10, d))
			line(img, px, y, px+pw, y, 1, grey, false)
			label := strconv.FormatFloat(math.Pow(10, d), 'g', -1, 64)
			drawText(img, px-10-textWidth(label, 2), y-7, label, 2, black)
		}
		for _, r := range results {
			x := toX(float64(r.Customers))
			line(img, x, py, x, py+ph, 1, grey, false)
			drawText(img, x-textWidth(r.Label, 2)/2, py+ph+12, r.Label, 2, black)
		}
		line(img, px, py+ph, px+pw, py+ph, 2, black, false)
		line(img, px, py, px, py+ph, 2, black, false)
		drawText(img, px+pw/2-textWidth(p.title, 3)/2, py-36, p.title, 3, black)
		drawText(img, px+pw/2-textWidth("customers", 2)/2, py+ph+40, "customers", 2, black)
		for _, s := range all {
			ys := p.pick(s)
			for i := range s.x {
				if ys[i] <= 0 {
					continue
				}
				x, y := toX(s.x[i]), toY(ys[i])
				dot(img, x, y, 4, s.col)
				if i > 0 && ys[i-1] > 0 {
					thick := 3
					if s.dashed {
						thick = 2
					}
					line(img, toX(s.x[i-1]), toY(ys[i-1]), x, y, thick, s.col, s.dashed)
				}
			}
		}
	}
	// Legend, under the panels.
	lx, ly := 90, py+ph+80
	for i, s := range all {
		x := lx + (i/2)*330
		y := ly + (i%2)*28
		line(img, x, y+7, x+40, y+7, 3, s.col, s.dashed)
		drawText(img, x+50, y, s.name, 2, black)
	}
	return img
}

// line draws a line of the given thickness, dashed or not.
func line(img *image.RGBA, x0, y0, x1, y1, thick int, c color.Color, dashed bool) {
	dx, dy := math.Abs(float64(x1-x0)), math.Abs(float64(y1-y0))
	steps := int(math.Max(dx, dy))
	if steps == 0 {
		dot(img, x0, y0, thick, c)
		return
	}
	for i := 0; i <= steps; i++ {
		if dashed && (i/8)%2 == 1 {
			continue
		}
		t := float64(i) / float64(steps)
		dot(img, x0+int(math.Round(t*float64(x1-x0))), y0+int(math.Round(t*float64(y1-y0))), thick, c)
	}
}

// dot fills a square of side size centred on (x, y).
func dot(img *image.RGBA, x, y, size int, c color.Color) {
	for dy := -size / 2; dy < size-size/2; dy++ {
		for dx := -size / 2; dx < size-size/2; dx++ {
			img.Set(x+dx, y+dy, c)
		}
	}
}
