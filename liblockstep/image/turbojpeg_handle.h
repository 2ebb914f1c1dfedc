/* A TurboJPEG compressor or decompressor as an owned handle (tjDestroy at its end), for the
 * image codecs' own files: the one place a tjhandle is made and released. */
#pragma once

#include <memory>
#include <string>

#include <turbojpeg.h>

#include "util/errors.h"

namespace lockstep
{

struct TjHandleDeleter {
    void operator()(void *handle) const { tjDestroy(handle); }
};
using TjHandle = std::unique_ptr<void, TjHandleDeleter>;

/* Takes a handle from tjInitCompress()/tjInitDecompress(); throws RunError("cannot create a
 * TurboJPEG <what>: ...") if it is null. */
inline TjHandle makeTjHandle(tjhandle handle, const char *what)
{
    if (!handle)
        throw RunError(std::string("cannot create a TurboJPEG ") + what + ": " +
                       tjGetErrorStr2(nullptr));
    return TjHandle(handle);
}

} // namespace lockstep
