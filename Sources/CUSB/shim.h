// libusb 1.0, Debian package libusb-1.0-0-dev.
#include <libusb.h>

// libusb_set_option is variadic, which Swift cannot call: one fixed-argument wrapper per use.
static inline int hq_libusb_set_log_level(libusb_context *ctx, int level) {
    return libusb_set_option(ctx, LIBUSB_OPTION_LOG_LEVEL, level);
}
