// pos-agent: the daemon beside a checkout till (see app/agent_app.h).
#include <Poco/Util/ServerApplication.h>

#include <iostream>

#include "app/agent_app.h"

POCO_SERVER_MAIN(loyalty::agent::AgentApp)
