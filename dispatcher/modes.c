/* The forwarding modes spliced is built with. The engine knows modes only
 * through this list (engine/mode.h), so a new mode is a folder and a line
 * here. */
#include "modes.h"
#include "nat/nat.h"
#include "splice/splice_mode.h"

const struct disp_mode_ops *const spliced_modes[] = {
	&nat_mode,
	&splice_mode,
	NULL,
};
