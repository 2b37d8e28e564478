select siren, name, n_communes, population from epci where n_communes > 0 order by name
