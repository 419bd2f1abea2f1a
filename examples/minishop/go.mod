module github.com/pointcheckout-go/pointcheckout/examples/minishop

go 1.26.0

replace github.com/pointcheckout-go/pointcheckout => ../..

require (
	github.com/pointcheckout-go/pointcheckout v0.0.0-00010101000000-000000000000
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/gorilla/securecookie v1.1.2 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
