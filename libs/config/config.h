#pragma once

// Umbrella header for //libs/config:config.
#include "libs/config/command_line.h"  // IWYU pragma: export
#include "libs/config/host_port.h"     // IWYU pragma: export
#include "libs/config/schema.h"        // IWYU pragma: export
