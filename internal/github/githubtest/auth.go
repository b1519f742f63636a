package githubtest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// authenticate settles who is calling, answering 401 (and returning false) when the
// credentials don't do. App routes want a JWT; the rest want a configured token or
// an unexpired installation token, once any token is configured.
func (s *Server) authenticate(c *call, rt *route) bool {
	credential := bearer(c.r.Header.Get("Authorization"))
	if rt != nil && rt.appJWT {
		if !looksLikeJWT(credential) {
			c.fail(http.StatusUnauthorized, "A JSON web token could not be decoded")
			return false
		}
		c.login = AppLogin
		return true
	}
	if expiry, ok := s.installationTokens[credential]; ok {
		if !c.now.Before(expiry) {
			c.fail(http.StatusUnauthorized, "Bad credentials")
			return false
		}
		c.login, c.installation = AppLogin, true
		c.permissions = s.installationPermissions
		return true
	}
	if login, ok := s.tokens[credential]; ok {
		// GitHub answers a classic token's every request with its scopes in X-OAuth-Scopes:
		// https://docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps
		if scopes, classic := s.tokenScopes[credential]; classic {
			c.w.Header().Set("X-OAuth-Scopes", scopes)
		}
		c.login = login
		c.permissions = s.tokenPermissions[credential]
		return true
	}
	switch {
	case len(s.tokens) == 0:
		c.login = DefaultLogin
		return true
	case credential == "":
		c.fail(http.StatusUnauthorized, "Requires authentication")
	default:
		c.fail(http.StatusUnauthorized, "Bad credentials")
	}
	return false
}

// bearer extracts the credential of "token X" or "Bearer X".
func bearer(header string) string {
	scheme, credential, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok {
		return ""
	}
	switch strings.ToLower(scheme) {
	case "token", "bearer":
		return strings.TrimSpace(credential)
	}
	return ""
}

// looksLikeJWT accepts any three-part token whose header decodes to JSON naming an
// algorithm: the fake does not know the App's key, so it cannot check signatures.
func looksLikeJWT(credential string) bool {
	parts := strings.Split(credential, ".")
	if len(parts) != 3 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return false
	}
	var header struct {
		Alg string `json:"alg"`
	}
	return json.Unmarshal(raw, &header) == nil && header.Alg != ""
}
