// Package logging builds pacer's zap loggers and bridges Temporal's SDK
// logger to zap, so workflow, activity and process logs share one format.
package logging

import (
	"fmt"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns a zap logger writing to stderr. format is "json" or "console";
// level is debug, info, warn or error.
func New(format, level string) (*zap.Logger, error) {
	var cfg zap.Config
	switch format {
	case "json", "":
		cfg = zap.NewProductionConfig()
	case "console":
		cfg = zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
	default:
		return nil, fmt.Errorf("logging: unknown log format %q: use json or console", format)
	}
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("logging: unknown log level %q: use debug, info, warn or error", level)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.DisableStacktrace = true
	return cfg.Build()
}

// Temporal adapts a zap logger to the Temporal SDK's log.Logger.
type Temporal struct {
	z *zap.Logger
}

var _ log.Logger = (*Temporal)(nil)
var _ log.WithLogger = (*Temporal)(nil)

// NewTemporal returns a Temporal logger writing to z. Temporal's own
// messages start with a capital; keys are passed through as they come.
func NewTemporal(z *zap.Logger) *Temporal {
	return &Temporal{z: z.WithOptions(zap.AddCallerSkip(1))}
}

func fields(keyvals []any) []zap.Field {
	out := make([]zap.Field, 0, len(keyvals)/2+1)
	for i := 0; i < len(keyvals); i += 2 {
		key, ok := keyvals[i].(string)
		if !ok {
			key = fmt.Sprint(keyvals[i])
		}
		if i+1 >= len(keyvals) {
			out = append(out, zap.Any("extra", keyvals[i]))
			break
		}
		out = append(out, zap.Any(key, keyvals[i+1]))
	}
	return out
}

// Debug logs at debug level.
func (t *Temporal) Debug(msg string, keyvals ...any) { t.z.Debug(msg, fields(keyvals)...) }

// Info logs at info level.
func (t *Temporal) Info(msg string, keyvals ...any) { t.z.Info(msg, fields(keyvals)...) }

// Warn logs at warn level.
func (t *Temporal) Warn(msg string, keyvals ...any) { t.z.Warn(msg, fields(keyvals)...) }

// Error logs at error level.
func (t *Temporal) Error(msg string, keyvals ...any) { t.z.Error(msg, fields(keyvals)...) }

// With returns a logger that adds keyvals to every entry.
func (t *Temporal) With(keyvals ...any) log.Logger {
	return &Temporal{z: t.z.With(fields(keyvals)...)}
}
