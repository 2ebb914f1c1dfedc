#include <algorithm>
#include <bitset>
#include <mutex>
#include <vector>

#include "gpio/gpio_lines.h"
#include "gpio/gpiod_compat.h"
#include "gpio/spin_lock.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

LineBias biasOf(const std::vector<LineBias> &bias, size_t i)
{
    return i < bias.size() ? bias[i] : LineBias::AsIs;
}

/* Lines are requested without active-low, so libgpiod's values are physical levels. set()
 * keeps the level of every output and writes them all in one call: libgpiod's subset calls
 * take vectors, and building them would allocate on the real-time path. Rewriting an unchanged
 * line with its own level does not glitch it. */
class GpiodLines : public GpioLines
{
public:
    GpiodLines(const std::string &chipPath, const LineRequest &request);

    void set(std::span<const unsigned> offsets, std::span<const uint8_t> levels) override;
    uint8_t get(unsigned offset) override;

private:
    /* Index of a requested output in outputs_, or -1. */
    int outputIndex(unsigned offset) const;
    std::string where(unsigned offset) const;

    std::string chipPath_;
    std::vector<unsigned> outputs_;
    std::vector<unsigned> inputs_;
    SpinLock lock_;
#if LOCKSTEP_GPIOD_API == 2
    gpiod::chip chip_;
    gpiod::line_request request_;
    gpiod::line::offsets outputOffsets_;
    gpiod::line::values outputValues_;
    gpiod::line::offsets readOffset_{1}; /* get() reads through these, preallocated */
    gpiod::line::values readValue_{1};
#else
    gpiod::chip chip_;
    gpiod::line_bulk outputLines_;
    std::vector<gpiod::line> inputLines_;
    std::vector<int> outputValues_;
#endif
};

#if LOCKSTEP_GPIOD_API == 2

gpiod::line::value toValue(uint8_t level)
{
    return level ? gpiod::line::value::ACTIVE : gpiod::line::value::INACTIVE;
}

gpiod::line_settings withBias(gpiod::line_settings settings, LineBias bias)
{
    switch (bias) {
    case LineBias::Disabled:
        settings.set_bias(gpiod::line::bias::DISABLED);
        break;
    case LineBias::PullUp:
        settings.set_bias(gpiod::line::bias::PULL_UP);
        break;
    case LineBias::PullDown:
        settings.set_bias(gpiod::line::bias::PULL_DOWN);
        break;
    case LineBias::AsIs:
        break;
    }
    return settings;
}

GpiodLines::GpiodLines(const std::string &chipPath, const LineRequest &request)
    : chipPath_(chipPath), outputs_(request.outputs), inputs_(request.inputs), chip_(chipPath),
      request_([&] {
          auto builder = chip_.prepare_request();
          builder.set_consumer(request.consumer);
          for (size_t i = 0; i < request.outputs.size(); ++i)
              builder.add_line_settings(
                  request.outputs[i],
                  withBias(gpiod::line_settings()
                               .set_direction(gpiod::line::direction::OUTPUT)
                               .set_output_value(toValue(request.initialLevels[i])),
                           biasOf(request.outputBias, i)));
          for (size_t i = 0; i < request.inputs.size(); ++i)
              builder.add_line_settings(
                  request.inputs[i],
                  withBias(gpiod::line_settings().set_direction(gpiod::line::direction::INPUT),
                           biasOf(request.inputBias, i)));
          return builder.do_request();
      }())
{
    for (size_t i = 0; i < outputs_.size(); ++i) {
        outputOffsets_.emplace_back(outputs_[i]);
        outputValues_.push_back(toValue(request.initialLevels[i]));
    }
}

#else

std::bitset<32> biasFlags(LineBias bias)
{
    switch (bias) {
    case LineBias::Disabled:
        return gpiod::line_request::FLAG_BIAS_DISABLE;
    case LineBias::PullUp:
        return gpiod::line_request::FLAG_BIAS_PULL_UP;
    case LineBias::PullDown:
        return gpiod::line_request::FLAG_BIAS_PULL_DOWN;
    case LineBias::AsIs:
        break;
    }
    return {};
}

GpiodLines::GpiodLines(const std::string &chipPath, const LineRequest &request)
    : chipPath_(chipPath), outputs_(request.outputs), inputs_(request.inputs),
      chip_(chipPath, gpiod::chip::OPEN_BY_PATH)
{
    for (uint8_t level : request.initialLevels)
        outputValues_.push_back(level ? 1 : 0);
    /* 1.6 requests the outputs as one bulk (one ioctl per set()), whose flags apply to every
     * line: an output's own bias is set first by a brief request of that line alone; the pull
     * stays set in the chip when that request ends. */
    for (size_t i = 0; i < outputs_.size(); ++i)
        if (const auto flags = biasFlags(biasOf(request.outputBias, i)); flags.any()) {
            gpiod::line line = chip_.get_line(outputs_[i]);
            line.request({request.consumer, gpiod::line_request::DIRECTION_OUTPUT, flags},
                         outputValues_[i]);
            line.release();
        }
    if (!outputs_.empty()) {
        outputLines_ = chip_.get_lines(outputs_);
        outputLines_.request({request.consumer, gpiod::line_request::DIRECTION_OUTPUT, 0},
                             outputValues_);
    }
    /* Inputs are read one by one: each its own request, with its own bias. */
    for (size_t i = 0; i < inputs_.size(); ++i) {
        inputLines_.push_back(chip_.get_line(inputs_[i]));
        inputLines_.back().request({request.consumer, gpiod::line_request::DIRECTION_INPUT,
                                    biasFlags(biasOf(request.inputBias, i))});
    }
}

#endif

int GpiodLines::outputIndex(unsigned offset) const
{
    const auto it = std::find(outputs_.begin(), outputs_.end(), offset);
    return it == outputs_.end() ? -1 : static_cast<int>(it - outputs_.begin());
}

std::string GpiodLines::where(unsigned offset) const
{
    return "GPIO line " + std::to_string(offset) + " of " + chipPath_;
}

void GpiodLines::set(std::span<const unsigned> offsets, std::span<const uint8_t> levels)
{
    if (offsets.size() != levels.size())
        throw RunError("GPIO set: " + std::to_string(offsets.size()) + " lines but " +
                       std::to_string(levels.size()) + " levels");
    for (unsigned offset : offsets) {
        if (outputIndex(offset) < 0)
            throw RunError("GPIO set: " + where(offset) + " is not a requested output");
    }
    try {
        std::lock_guard lock(lock_);
        for (size_t i = 0; i < offsets.size(); ++i) {
#if LOCKSTEP_GPIOD_API == 2
            outputValues_[outputIndex(offsets[i])] = toValue(levels[i]);
#else
            outputValues_[outputIndex(offsets[i])] = levels[i] ? 1 : 0;
#endif
        }
#if LOCKSTEP_GPIOD_API == 2
        request_.set_values(outputOffsets_, outputValues_);
#else
        outputLines_.set_values(outputValues_);
#endif
    } catch (const std::exception &e) {
        throw RunError("cannot set GPIO lines of " + chipPath_ + ": " + e.what());
    }
}

uint8_t GpiodLines::get(unsigned offset)
{
    const bool isInput = std::find(inputs_.begin(), inputs_.end(), offset) != inputs_.end();
    if (!isInput && outputIndex(offset) < 0)
        throw RunError("GPIO get: " + where(offset) + " is not requested");
    try {
        std::lock_guard lock(lock_);
#if LOCKSTEP_GPIOD_API == 2
        readOffset_[0] = offset;
        request_.get_values(readOffset_, readValue_);
        return readValue_[0] == gpiod::line::value::ACTIVE ? 1 : 0;
#else
        const auto &list = isInput ? inputs_ : outputs_;
        const auto index =
            static_cast<size_t>(std::find(list.begin(), list.end(), offset) - list.begin());
        gpiod::line line =
            isInput ? inputLines_[index] : outputLines_.get(static_cast<unsigned>(index));
        return line.get_value() ? 1 : 0;
#endif
    } catch (const std::exception &e) {
        throw RunError("cannot read " + where(offset) + ": " + e.what());
    }
}

} // namespace

std::unique_ptr<GpioLines> openGpiodLines(const std::string &chipSpec, const LineRequest &request)
{
    if (request.initialLevels.size() != request.outputs.size())
        throw RunError("line request: " + std::to_string(request.outputs.size()) + " outputs but " +
                       std::to_string(request.initialLevels.size()) + " initial levels");
    const std::string path = findHeaderChip(chipSpec);
    try {
        /* The board's own range: a line the chip does not have is named, not left to the
         * kernel's EINVAL. */
#if LOCKSTEP_GPIOD_API == 2
        const size_t count = gpiod::chip(path).get_info().num_lines();
#else
        const size_t count = gpiod::chip(path, gpiod::chip::OPEN_BY_PATH).num_lines();
#endif
        for (const auto *list : {&request.outputs, &request.inputs})
            for (const unsigned offset : *list)
                if (offset >= count)
                    throw RunError("GPIO line " + std::to_string(offset) + " is not on " + path +
                                   ", which has lines 0-" + std::to_string(count - 1));
        return std::make_unique<GpiodLines>(path, request);
    } catch (const std::exception &e) {
        throw RunError("cannot request GPIO lines of " + path + " for " + request.consumer + ": " +
                       e.what());
    }
}

} // namespace lockstep
