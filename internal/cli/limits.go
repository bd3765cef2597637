package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/internal/imagefile"
)

// AddMaxPixelsFlag gives c, a command that decodes images or camera frames,
// the --max-pixels flag, and sets imagefile's pixel limit from it before c
// runs (after c's own PreRunE or PreRun, if any).
func AddMaxPixelsFlag(c *cobra.Command) {
	limit := c.Flags().Int64("max-pixels", imagefile.DefaultMaxPixels,
		"refuse an image or camera frame with more pixels (width*height) than this, before decoding it")
	preE, pre := c.PreRunE, c.PreRun
	c.PreRun = nil
	c.PreRunE = func(cmd *cobra.Command, args []string) error {
		if preE != nil {
			if err := preE(cmd, args); err != nil {
				return err
			}
		} else if pre != nil {
			pre(cmd, args)
		}
		if _, err := imagefile.SetMaxPixels(*limit); err != nil {
			return fmt.Errorf("--max-pixels %d: %s", *limit, flagRanges["max-pixels"].describe())
		}
		return nil
	}
}
