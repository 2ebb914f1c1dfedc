/* `lockstep report`: a contact sheet, timing pictures and one HTML page that shows them, in
 * DIR/<scan>/report/. */
#pragma once

#include <string>

namespace lockstep
{

/* Writes the report of one scan; returns the path of its index.html. Throws RunError. */
std::string writeReport(const std::string &scanRoot);

} // namespace lockstep
