module github.com/kefu-dev/kefu/metrics/otel

go 1.23.0

require (
	github.com/kefu-dev/kefu v0.0.0-00010101000000-000000000000
	go.opentelemetry.io/otel v1.38.0
	go.opentelemetry.io/otel/metric v1.38.0
)

require (
	github.com/google/btree v1.1.3 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.28.0 // indirect
)

replace github.com/kefu-dev/kefu => ../..
