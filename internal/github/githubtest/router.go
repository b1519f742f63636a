package githubtest

import (
	"net/http"
	"net/url"
	"strings"
)

// route is one API endpoint. Patterns are written as in GitHub's docs, relative to the
// API root: "/repos/{owner}/{repo}/issues/{issue_number}". A last segment "{name...}"
// takes the rest of the path (file paths, ref names).
//
// net/http's ServeMux is not used because GitHub's own routes overlap in ways it
// refuses (/issues/comments/{id} against /issues/{number}/labels); here the first
// registered match wins, so literal routes are registered before their wildcards.
type route struct {
	method    string
	pattern   string
	segments  []string
	needsRepo bool
	// appJWT routes authenticate the App itself, with a JWT, not a token.
	appJWT   bool
	endpoint endpoint
	handle   func(*call)
}

// name is the route's pattern, or "" for a path no route serves.
func (rt *route) name() string {
	if rt == nil {
		return ""
	}
	return rt.pattern
}

func (s *Server) handle(method, pattern string, h func(*call)) {
	s.routes = append(s.routes, newRoute(method, pattern, h))
}

// handleApp registers a route that the App calls with its JWT.
func (s *Server) handleApp(method, pattern string, h func(*call)) {
	rt := newRoute(method, pattern, h)
	rt.appJWT = true
	s.routes = append(s.routes, rt)
}

func newRoute(method, pattern string, h func(*call)) route {
	return route{
		method:    method,
		pattern:   pattern,
		segments:  strings.Split(strings.TrimPrefix(pattern, "/"), "/"),
		needsRepo: strings.HasPrefix(pattern, "/repos/{owner}/{repo}"),
		endpoint:  endpointFor(method, pattern),
		handle:    h,
	}
}

// match finds the route serving r and the values of its wildcards.
func (s *Server) match(r *http.Request) (*route, map[string]string) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), apiPrefix+"/")
	if !ok {
		return nil, nil
	}
	parts := strings.Split(rest, "/")
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.method != r.Method {
			continue
		}
		if params, ok := rt.bind(parts); ok {
			return rt, params
		}
	}
	return nil, nil
}

func (rt *route) bind(parts []string) (map[string]string, bool) {
	params := map[string]string{}
	for i, seg := range rt.segments {
		if name, ok := strings.CutSuffix(strings.Trim(seg, "{}"), "..."); ok && isWildcard(seg) {
			if i >= len(parts) {
				return nil, false
			}
			value, err := url.PathUnescape(strings.Join(parts[i:], "/"))
			if err != nil || value == "" {
				return nil, false
			}
			params[name] = value
			return params, true
		}
		if i >= len(parts) {
			return nil, false
		}
		value, err := url.PathUnescape(parts[i])
		if err != nil || value == "" {
			return nil, false
		}
		if isWildcard(seg) {
			params[strings.Trim(seg, "{}")] = value
		} else if seg != value {
			return nil, false
		}
	}
	return params, len(parts) == len(rt.segments)
}

func isWildcard(seg string) bool {
	return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}")
}
