'Sphinx configuration written by ``sphinx-threats import threat-dragon v2-threat-model.json --to rst``.'

project = 'Demo Threat Model'
extensions = ['sphinx_threats']
exclude_patterns = ['_build']

# An imported model has gaps until it is reviewed (open threats, and values the
# import filled in, tagged "imported"): they are reported as warnings, and fail
# nothing.  Remove this line once the model is reviewed.
threats_fail_on = []
