package steps

import (
	"errors"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// isPermanentOCL tells OCL's refusals, which a re-run will not fix, from outages.
func isPermanentOCL(err error) bool {
	return errors.Is(err, ocl.ErrBadRequest) || errors.Is(err, ocl.ErrForbidden) ||
		errors.Is(err, ocl.ErrUnauthorized) || errors.Is(err, ocl.ErrNotFound)
}
