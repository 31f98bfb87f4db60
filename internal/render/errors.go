package render

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strconv"
	"strings"
)

// CompileError reports a template that cannot be used, with its place and a
// fix for the campaign's author.
type CompileError struct {
	Part    string // PartSubject, PartHTML or PartText
	Line    int    // 1-based line in that template; 0 when unknown
	Problem string // what is wrong, from the template package where possible
	Fix     string // advice for the campaign's author
	Err     error  // the template package's error, if any
}

// Error returns "render: PART template, line N: PROBLEM; fix: FIX".
func (e *CompileError) Error() string {
	var b strings.Builder
	b.WriteString("render: ")
	b.WriteString(e.Part)
	b.WriteString(" template")
	if e.Line > 0 {
		b.WriteString(", line ")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	if e.Fix != "" {
		b.WriteString("; fix: ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Unwrap returns the template package's error.
func (e *CompileError) Unwrap() error { return e.Err }

// Both text/template and html/template report parse and execution errors as
// "template: NAME:LINE[:COL]: [executing "NAME" at <NODE>: ]PROBLEM".
var templateError = regexp.MustCompile(
	`^template: [^:]*:(\d+):(?:\d+:)? (?:executing "[^"]*" at <([^>]*)>: )?(.*)$`)

const (
	fieldsFix = "the fields are .Subscriber.Name, .Subscriber.Email, .Subscriber.Attribs.<key>, " +
		".Campaign.Name and .UnsubscribeURL, spelt with these capitals"
	attribKeyFix = "write an attribute whose key is not a plain word as " +
		`{{ index .Subscriber.Attribs "first-name" }}`
	funcsFix = "remove the call or use a built-in function: and, or, not, len, index, slice, " +
		"print, printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery"
	endFix = "every {{ if }}, {{ range }}, {{ with }} and {{ block }} needs its own {{ end }}"
)

// fixes maps a fragment of a template package's message to advice.
var fixes = []struct{ match, fix string }{
	{"can't evaluate field", fieldsFix},
	{"bad character", attribKeyFix},
	{"bad number syntax", attribKeyFix},
	{"not defined", funcsFix},
	{"wrong number of args", "give the function the number of arguments it takes"},
	{"unexpected EOF", endFix},
	{"unexpected {{end}}", "remove the extra {{ end }}, or add the {{ if }} or {{ range }} it closes"},
	{"unexpected {{else}}", "an {{ else }} belongs inside {{ if }}, {{ range }} or {{ with }}"},
	{"unclosed action", "close the action with }}"},
	{"unexpected \"}\"", "write actions with two braces on each side: {{ .Subscriber.Name }}"},
	{"unexpected \"{\"", "write actions with two braces on each side: {{ .Subscriber.Name }}"},
	{"undefined variable", "declare the variable with {{ $name := ... }} before it is used, in the same block"},
	{"missing value", "give {{ if }}, {{ range }} or {{ with }} a value to test, like {{ if .Subscriber.Name }}"},
}

// compileError turns an error of text/template or html/template into a
// *CompileError for the template called part, whose source is src.
func compileError(part, src string, err error) error {
	var he *htmltemplate.Error
	if errors.As(err, &he) {
		ce := &CompileError{Part: part, Line: he.Line, Problem: he.Description, Err: err,
			Fix: htmlFix(he.ErrorCode)}
		if ce.Line == 0 && he.Node != nil {
			if pos := int(he.Node.Position()); pos <= len(src) {
				ce.Line = 1 + strings.Count(src[:pos], "\n")
			}
		}
		return ce
	}
	ce := &CompileError{Part: part, Problem: err.Error(), Err: err,
		Fix: "check the template syntax on that line"}
	if m := templateError.FindStringSubmatch(err.Error()); m != nil {
		ce.Line, _ = strconv.Atoi(m[1])
		ce.Problem = m[3]
		if m[2] != "" {
			ce.Problem += " (at " + m[2] + ")"
		}
	}
	for _, f := range fixes {
		if strings.Contains(ce.Problem, f.match) {
			ce.Fix = f.fix
			break
		}
	}
	return ce
}

func htmlFix(code htmltemplate.ErrorCode) string {
	switch code {
	case htmltemplate.ErrEndContext:
		return "close every tag, quote and comment that the template opens"
	case htmltemplate.ErrAmbigContext, htmltemplate.ErrBadHTML:
		return "quote attribute values and keep each action inside one attribute value or one text run"
	case htmltemplate.ErrBranchEnd, htmltemplate.ErrRangeLoopReentry:
		return "make both branches of the {{ if }} or {{ range }} end in the same HTML context"
	default:
		return "move the action out of <script>, <style> and event attributes, or see the " +
			"ErrorCode list of html/template"
	}
}

// isStructural reports whether an execution error would happen for every
// subscriber, whatever their attributes, so that Compile should report it.
func isStructural(err error) bool {
	if err == nil {
		return false
	}
	var he *htmltemplate.Error
	if errors.As(err, &he) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "can't evaluate field") || strings.Contains(msg, "wrong number of args")
}

// renderError wraps an error met while rendering for one subscriber.
func renderError(part string, err error) error {
	return fmt.Errorf("render: %s template: %w", part, err)
}
