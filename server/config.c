/* placeholder */ typedef int gp_placeholder_config;
