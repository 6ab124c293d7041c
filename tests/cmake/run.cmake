# `tidepool run`: the demo's run (test_run_demo) writes its report under
# the build directory; test_run_timeline renders that timeline in headless
# Chromium, so it needs the demo's run first.
set_tests_properties(test_run_demo PROPERTIES FIXTURES_SETUP run_demo_report TIMEOUT 900)
set_tests_properties(test_run_timeline PROPERTIES FIXTURES_REQUIRED run_demo_report TIMEOUT 300)
