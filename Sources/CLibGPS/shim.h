// libgps from Debian's libgps-dev (gpsd 3.22, API 11). The struct layouts change with the API
// version, so this is compiled against the installed header, never a copy of it.
#include <gps.h>

#if GPSD_API_MAJOR_VERSION != 11
#error "gps808 is written against libgps API 11 (gpsd 3.21-3.23): check GPSDReader against this gps.h"
#endif

// gps.h's field masks are 64-bit shift macros; named here so that Swift sees them typed.
static const gps_mask_t clibgps_time_set = TIME_SET;
static const gps_mask_t clibgps_latlon_set = LATLON_SET;
static const gps_mask_t clibgps_mode_set = MODE_SET;
static const unsigned int clibgps_watch_json = WATCH_ENABLE | WATCH_JSON;
