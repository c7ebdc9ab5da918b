// The wrappers are static inline in CCurl.h; this file gives the target a
// translation unit so SwiftPM builds and links it.
#include "CCurl.h"
