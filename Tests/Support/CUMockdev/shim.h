// umockdev, Debian package libumockdev-dev: emulated devices under the real libraries.
#include <umockdev.h>
