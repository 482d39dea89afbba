#pragma once
// glibc's allocator controls (mallopt, malloc_trim): declared in <malloc.h>, which Swift's Glibc module
// does not cover. Part of libc, so nothing to link.
#include <malloc.h>
