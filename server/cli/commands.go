package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pacer-email/pacer/internal/watch"
)

// cancelledError reports that a watched campaign ended Cancelled.
type cancelledError struct {
	id     int64
	reason string
}

func (e *cancelledError) Error() string {
	if e.reason == "" {
		return fmt.Sprintf("campaign %d ended Cancelled", e.id)
	}
	return fmt.Sprintf("campaign %d ended Cancelled: %s", e.id, e.reason)
}

// call sends a request and returns the raw JSON response.
func (c *command) call(ctx context.Context, method, path string, body any) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.client.Do(ctx, method, path, body, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// printJSON writes an API response indented, followed by a newline.
func (c *command) printJSON(raw json.RawMessage) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("the API's response is not JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := c.stdout.Write(buf.Bytes())
	return err
}

func listCampaigns(ctx context.Context, c *command, _ int64) error {
	raw, err := c.call(ctx, "GET", "/api/campaigns", nil)
	if err != nil {
		return fmt.Errorf("list campaigns: %w", err)
	}
	if c.opts.json {
		return c.printJSON(raw)
	}
	var campaigns []struct {
		ID        int64     `json:"id"`
		Name      string    `json:"name"`
		Status    string    `json:"status"`
		Total     int       `json:"total"`
		CreatedAt time.Time `json:"created_at"`
	}
	if err := json.Unmarshal(raw, &campaigns); err != nil {
		return fmt.Errorf("list campaigns: decode response: %w", err)
	}
	if len(campaigns) == 0 {
		fmt.Fprintln(c.stdout, "no campaigns")
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATUS\tRECIPIENTS\tCREATED\tNAME")
	for _, cp := range campaigns {
		fmt.Fprintf(w, "%d\t%s\t%d\t%s\t%s\n", cp.ID, cp.Status, cp.Total,
			cp.CreatedAt.Local().Format("2006-01-02 15:04"), cp.Name)
	}
	return w.Flush()
}

func sendCampaign(ctx context.Context, c *command, id int64) error {
	raw, err := c.call(ctx, "POST", fmt.Sprintf("/api/campaigns/%d/send", id), nil)
	if err != nil {
		return fmt.Errorf("send campaign %d: %w", id, err)
	}
	if c.opts.json {
		return c.printJSON(raw)
	}
	var out struct {
		WorkflowID string `json:"workflow_id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("send campaign %d: decode response: %w", id, err)
	}
	fmt.Fprintf(c.stdout, "campaign %d started (workflow %s); follow it with `server campaign watch %d`\n",
		id, out.WorkflowID, id)
	return nil
}

// watchCampaign draws the progress line until the campaign is Done or
// Cancelled. With --json it prints nothing until then, and then the
// campaign as the API returns it.
func watchCampaign(ctx context.Context, c *command, id int64) error {
	out, tty := c.stdout, isTerminal(c.stdout)
	if c.opts.json {
		out, tty = io.Discard, false
	}
	camp, err := watch.Watch(ctx, c.client, id, out, tty, watchInterval)
	if err != nil {
		return fmt.Errorf("watch campaign %d: %w", id, err)
	}
	if c.opts.json {
		raw, err := c.call(ctx, "GET", fmt.Sprintf("/api/campaigns/%d", id), nil)
		if err != nil {
			return fmt.Errorf("watch campaign %d: %w", id, err)
		}
		if err := c.printJSON(raw); err != nil {
			return err
		}
	}
	if camp.Status == "Cancelled" {
		return &cancelledError{id: id, reason: camp.StatusReason}
	}
	return nil
}

// controlCampaign returns the handler of pause, resume or cancel.
func controlCampaign(action string) handlerFunc {
	return func(ctx context.Context, c *command, id int64) error {
		raw, err := c.call(ctx, "POST", fmt.Sprintf("/api/campaigns/%d/%s", id, action), nil)
		if err != nil {
			return fmt.Errorf("%s campaign %d: %w", action, id, err)
		}
		if c.opts.json {
			return c.printJSON(raw)
		}
		var out struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			return fmt.Errorf("%s campaign %d: decode response: %w", action, id, err)
		}
		fmt.Fprintf(c.stdout, "campaign %d is %s\n", id, out.Status)
		return nil
	}
}

func listFailed(ctx context.Context, c *command, id int64) error {
	path := fmt.Sprintf("/api/campaigns/%d/failed", id)
	if c.opts.reason != "" {
		path += "?reason=" + url.QueryEscape(c.opts.reason)
	}

	raw, err := c.call(ctx, "GET", path, nil)
	if err != nil {
		return fmt.Errorf("list failed sends of campaign %d: %w", id, err)
	}
	if c.opts.json {
		return c.printJSON(raw)
	}
	var failed []struct {
		SubscriberID int64      `json:"subscriber_id"`
		Email        string     `json:"email"`
		Reason       string     `json:"reason"`
		SMTPCode     int        `json:"smtp_code"`
		EnhancedCode string     `json:"enhanced_code"`
		Reply        string     `json:"reply"`
		Attempts     int        `json:"attempts"`
		LastTryAt    *time.Time `json:"last_try_at"`
	}
	if err := json.Unmarshal(raw, &failed); err != nil {
		return fmt.Errorf("list failed sends of campaign %d: decode response: %w", id, err)
	}
	if len(failed) == 0 {
		fmt.Fprintf(c.stdout, "campaign %d has no failed sends\n", id)
		return nil
	}

	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SUBSCRIBER\tEMAIL\tREASON\tATTEMPTS\tLAST TRY\tREPLY")
	for _, f := range failed {
		last := "-"
		if f.LastTryAt != nil {
			last = f.LastTryAt.Local().Format("2006-01-02 15:04:05")
		}
		reply := oneLineReply(f.SMTPCode, f.EnhancedCode, f.Reply)
		fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%s\n", f.SubscriberID, f.Email, f.Reason, f.Attempts, last, reply)
	}
	return w.Flush()
}

func codeText(code int) string {
	if code == 0 {
		return ""
	}
	return fmt.Sprint(code)
}

func redispatchFailed(ctx context.Context, c *command, id int64) error {
	body := map[string]any{}
	if c.opts.reason != "" {
		body["reason"] = c.opts.reason
	}
	raw, err := c.call(ctx, "POST", fmt.Sprintf("/api/campaigns/%d/failed/redispatch", id), body)
	if err != nil {
		return fmt.Errorf("re-dispatch failed sends of campaign %d: %w", id, err)
	}
	if c.opts.json {
		return c.printJSON(raw)
	}
	var out struct {
		Redispatched int   `json:"redispatched"`
		Batches      []int `json:"batches"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("re-dispatch failed sends of campaign %d: decode response: %w", id, err)
	}
	if out.Redispatched == 0 {
		fmt.Fprintf(c.stdout, "campaign %d has no failed sends to re-dispatch\n", id)
		return nil
	}
	fmt.Fprintf(c.stdout, "re-dispatched %d failed sends of campaign %d in %d batches\n",
		out.Redispatched, id, len(out.Batches))
	return nil
}

// isTerminal reports whether w is a terminal, where the watcher redraws
// one line in place instead of printing a line every few seconds.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// oneLineReply joins the code, the enhanced code and the reply text for a
// table cell: the codes are left out when the text already starts with
// them, and the lines of a multi-line reply are joined with spaces.
func oneLineReply(code int, enhanced, reply string) string {
	reply = strings.Join(strings.Fields(reply), " ")
	prefix := strings.TrimSpace(strings.Join([]string{codeText(code), enhanced}, " "))
	if prefix == "" || strings.HasPrefix(reply, prefix) {
		return reply
	}
	if c := codeText(code); c != "" && strings.HasPrefix(reply, c+" ") {
		return reply
	}
	return strings.TrimSpace(prefix + " " + reply)
}
