// libserialport, Debian package libserialport-dev.
#include <libserialport.h>
