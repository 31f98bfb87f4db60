// Command bench measures pacer on a running stack (scripts/bench.sh starts
// it): the time a campaign takes from Send to Done against Postfix's
// smtp-sink, and, in pacing mode, the rate held in every 10-second window.
// It prints one JSON line per run.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/pflag"

	"github.com/pacer-email/pacer/internal/apiclient"
	"github.com/pacer-email/pacer/internal/watch"
)

type options struct {
	mode        string
	recipients  int
	rate        float64
	connections int
	batchSize   int
	sinkPort    int
	apiURL      string
	tokenFile   string
	metricsURL  string
	workerPIDs  []string
	serverPID   string
	temporal    string
	database    string
	label       string
}

func main() {
	var o options
	fs := pflag.NewFlagSet("bench", pflag.ExitOnError)
	fs.StringVar(&o.mode, "mode", "throughput", "throughput (as fast as the sink takes) or pacing (at --rate)")
	fs.IntVar(&o.recipients, "recipients", 50000, "recipients of the campaign")
	fs.Float64Var(&o.rate, "rate", 0, "server rate in messages per second; 0 is no limit")
	fs.IntVar(&o.connections, "connections", 128, "max_connections of the sending server")
	fs.IntVar(&o.batchSize, "batch-size", 0, "recipients per batch; 0 is the server's campaign.batch_size")
	fs.IntVar(&o.sinkPort, "sink-port", 2526, "port of smtp-sink on 127.0.0.1")
	fs.StringVar(&o.apiURL, "api-url", "http://127.0.0.1:8085", "pacer API")
	fs.StringVar(&o.tokenFile, "token-file", ".pacer-bench/api-token", "file with the API token")
	fs.StringVar(&o.metricsURL, "metrics-url", "http://127.0.0.1:9095/metrics", "the worker's /metrics")
	fs.StringSliceVar(&o.workerPIDs, "worker-pid", nil, "pids of the workers, for peak RSS")
	fs.StringVar(&o.serverPID, "server-pid", "", "pid of the server, for peak RSS")
	fs.StringVar(&o.temporal, "temporal-address", "127.0.0.1:7235", "Temporal frontend, for counting workflows")
	fs.StringVar(&o.database, "database-url", "", "PostgreSQL URL, for the per-window rates")
	fs.StringVar(&o.label, "label", "", "label printed with the result")
	_ = fs.Parse(os.Args[1:])
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	token, err := os.ReadFile(o.tokenFile)
	if err != nil {
		return err
	}
	c := apiclient.New(o.apiURL, strings.TrimSpace(string(token)))
	listID, importTook, err := importList(ctx, c, o.recipients)
	if err != nil {
		return err
	}
	var srv struct {
		ID int64 `json:"id"`
	}
	name := fmt.Sprintf("smtp-sink %d", time.Now().UnixNano())
	if err := c.Do(ctx, "POST", "/api/servers", map[string]any{"name": name, "host": "127.0.0.1",
		"port": o.sinkPort, "rate_per_second": o.rate, "max_connections": o.connections}, &srv); err != nil {
		return err
	}
	var camp struct {
		ID int64 `json:"id"`
	}
	if err := c.Do(ctx, "POST", "/api/campaigns", map[string]any{
		"name": "bench " + o.mode, "subject": "{{ .Subscriber.Name }}, your weekly numbers",
		"from_name": "Bench", "from_email": "bench@pacer.localhost", "html_body": benchHTML,
		"list_ids": []int64{listID}, "server_ids": []int64{srv.ID}, "batch_size": o.batchSize,
	}, &camp); err != nil {
		return err
	}
	start := time.Now()
	if err := c.Do(ctx, "POST", fmt.Sprintf("/api/campaigns/%d/send", camp.ID), nil, nil); err != nil {
		return err
	}
	final, err := watch.Watch(ctx, c, camp.ID, io.Discard, false, time.Second)
	if err != nil {
		return err
	}
	seconds := time.Since(start).Seconds()
	if final.FinishedAt != nil {
		seconds = final.FinishedAt.Sub(start).Seconds()
	}
	res := map[string]any{
		"mode": o.mode, "label": o.label, "recipients": o.recipients, "status": final.Status,
		"delivered": final.Counts.Delivered, "import_seconds": round(importTook.Seconds()),
		"seconds": round(seconds), "sends_per_second": round(float64(final.Counts.Delivered) / seconds),
		"workers": len(o.workerPIDs),
	}
	if q, err := queueSeconds(ctx, o.database, camp.ID); err == nil {
		res["queue_seconds"] = round(q)
	}
	var peak int64
	for _, pid := range o.workerPIDs {
		peak = max(peak, peakRSS(pid))
	}
	res["worker_peak_rss_mb"] = peak / 1024
	res["server_peak_rss_mb"] = peakRSS(o.serverPID) / 1024
	if n, err := countWorkflows(o.temporal, camp.ID); err == nil {
		res["temporal_workflows"] = n
	}
	if acts, err := activityCount(o.metricsURL); err == nil {
		res["temporal_activities_worker_total"] = acts
	}
	if o.mode == "pacing" {
		windows, err := windowRates(ctx, o.database, camp.ID)
		if err != nil {
			return err
		}
		res["rate"] = o.rate
		res["window_rates"] = windows
		res["max_deviation_after_first"] = maxDeviation(windows, o.rate)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	return nil
}

func round(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

func importList(ctx context.Context, c *apiclient.Client, n int) (int64, time.Duration, error) {
	var list struct {
		ID int64 `json:"id"`
	}
	if err := c.Do(ctx, "POST", "/api/lists", map[string]any{"name": fmt.Sprintf("bench %d %d", n, time.Now().UnixNano())}, &list); err != nil {
		return 0, 0, err
	}
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 1<<16)
		fmt.Fprintln(bw, "email,name,city,plan")
		for i := range n {
			fmt.Fprintf(bw, "reader%d@bench%d.example.com,Reader %d,City %d,plan%d\n", i, i%97, i, i%31, i%4)
		}
		_ = bw.Flush()
		_ = pw.Close()
	}()
	start := time.Now()
	err := c.DoRaw(ctx, "POST", fmt.Sprintf("/api/lists/%d/import", list.ID), "text/csv", pr, nil)
	return list.ID, time.Since(start), err
}

// queueSeconds returns how long Queuing took, from the status timestamps.
func queueSeconds(ctx context.Context, dbURL string, id int64) (float64, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var s float64
	err = conn.QueryRow(ctx, `SELECT extract(epoch FROM queued_at - created_at) FROM campaigns WHERE id = $1`, id).Scan(&s)
	return s, err
}

// peakRSS returns a process's peak resident set size in KiB (VmHWM).
func peakRSS(pid string) int64 {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

func countWorkflows(addr string, id int64) (int, error) {
	out, err := exec.Command("temporal", "workflow", "count", "--address", addr,
		"--query", fmt.Sprintf("CampaignID=%q", strconv.FormatInt(id, 10))).Output()
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return 0, fmt.Errorf("empty output")
	}
	return strconv.Atoi(f[len(f)-1])
}

// activityCount sums pacer_activities_total from the worker's /metrics.
func activityCount(url string) (float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var total float64
	for _, line := range bytes.Split(body, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("pacer_activities_total{")) {
			f := strings.Fields(string(line))
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			total += v
		}
	}
	return total, nil
}

// windowRates returns the sends per second in each 10-second window from
// the first send. A send's time is its claim (first_try_at), taken right
// before the message leaves. The outcome is stored later, with the
// connection's next claim, so done_at would shift sends between windows.
func windowRates(ctx context.Context, dbURL string, id int64) ([]float64, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `
		WITH s AS (SELECT first_try_at AS at, min(first_try_at) OVER () AS t0 FROM sends
		           WHERE campaign_id = $1 AND status = 'delivered')
		SELECT floor(extract(epoch FROM at - t0) / 10)::int AS w, count(*)
		FROM s GROUP BY 1 ORDER BY 1`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []float64
	for rows.Next() {
		var w int
		var n int64
		if err := rows.Scan(&w, &n); err != nil {
			return nil, err
		}
		for len(out) < w {
			out = append(out, 0)
		}
		out = append(out, float64(n)/10)
	}
	// The last window is partial: the campaign ran out of recipients.
	if len(out) > 1 {
		out = out[:len(out)-1]
	}
	return out, rows.Err()
}

func maxDeviation(windows []float64, rate float64) float64 {
	var worst float64
	for i, r := range windows {
		if i == 0 {
			continue
		}
		d := (r - rate) / rate
		if d < 0 {
			d = -d
		}
		worst = max(worst, d)
	}
	return round(worst)
}
