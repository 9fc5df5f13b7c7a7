/* spliced's modes (modes.c), for disp_engine_create. */
#ifndef DISP_MODES_H
#define DISP_MODES_H

#include "engine/mode.h"

extern const struct disp_mode_ops *const spliced_modes[];

#endif
