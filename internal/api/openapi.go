package api

import (
	"net/http"
	"strings"
)

// openAPIDoc builds the OpenAPI 3 document from the route table that also
// feeds the mux, so that the two cannot drift apart.
func (s *Server) openAPIDoc() map[string]any {
	errResp := map[string]any{
		"description": "error",
		"content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"$ref": "#/components/schemas/Error"}}},
	}
	paths := map[string]any{}
	add := func(path, method string, op map[string]any) {
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(method)] = op
	}
	for _, rt := range s.routes {
		op := map[string]any{
			"operationId": operationID(rt.method, rt.path),
			"summary":     rt.summary,
			"tags":        []string{rt.tag},
		}
		var params []any
		for _, p := range rt.params {
			schema := map[string]any{"type": p.typ}
			if p.repeated {
				schema = map[string]any{"type": "array", "items": map[string]any{"type": p.typ}}
			}
			params = append(params, map[string]any{
				"name": p.name, "in": p.in, "required": p.required || p.in == "path",
				"description": p.desc, "schema": schema,
			})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.body != nil {
			op["requestBody"] = map[string]any{
				"required":    true,
				"description": rt.body.desc,
				"content":     map[string]any{"application/json": map[string]any{"schema": rt.body.schema}},
			}
		}
		content := map[string]any{}
		produces := rt.produces
		if len(produces) == 0 {
			produces = []string{"application/json"}
		}
		for _, ct := range produces {
			content[ct] = map[string]any{}
		}
		op["responses"] = map[string]any{
			"200":     map[string]any{"description": "OK", "content": content},
			"400":     errResp,
			"401":     errResp,
			"404":     errResp,
			"default": errResp,
		}
		add(rt.path, rt.method, op)
	}
	add("/healthz", "GET", map[string]any{
		"operationId": "getHealthz", "summary": "Liveness; needs no token", "tags": []string{"meta"}, "security": []any{},
		"responses": map[string]any{"200": map[string]any{"description": "OK"}},
	})
	add("/metrics", "GET", map[string]any{
		"operationId": "getMetrics", "summary": "Prometheus metrics (text exposition format)", "tags": []string{"meta"},
		"responses": map[string]any{"200": map[string]any{"description": "OK", "content": map[string]any{"text/plain": map[string]any{}}}, "401": errResp},
	})
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "gumshoe API",
			"version":     "v1",
			"description": "Investigation API over AWS logs: search, entity profiles, flow details, findings, read-only SQL. Times are UTC (RFC 3339). When the server has a token, every call but /healthz needs Authorization: Bearer TOKEN. Errors are {\"error\": {\"code\", \"message\", \"request_id\"}}.",
		},
		"servers":  []any{map[string]any{"url": "/"}},
		"security": []any{map[string]any{"bearer": []any{}}},
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{"Error": map[string]any{
				"type":     "object",
				"required": []string{"error"},
				"properties": map[string]any{"error": map[string]any{
					"type":     "object",
					"required": []string{"code", "message", "request_id"},
					"properties": map[string]any{
						"code":       map[string]any{"type": "string"},
						"message":    map[string]any{"type": "string"},
						"request_id": map[string]any{"type": "string"},
					},
				}},
			}},
		},
	}
}

// operationID names an operation from its method and path:
// GET /api/v1/entities/{id}/flows → getEntitiesIdFlows.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.FieldsFunc(strings.TrimPrefix(path, "/api/v1"), func(r rune) bool {
		return r == '/' || r == '{' || r == '}' || r == '-' || r == '.' || r == '_'
	}) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, s.openAPIDoc())
}
