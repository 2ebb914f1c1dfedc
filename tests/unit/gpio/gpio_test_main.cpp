#define BOOST_TEST_MODULE gpio
#include <boost/test/unit_test.hpp>
